/*
 * contacts.h - what Redis cannot have counted of a batch's contacts
 * (contacts.c): earlier entries of the batch, and of the batches ahead.
 */
#ifndef TRIAGED_CONTACTS_H
#define TRIAGED_CONTACTS_H

#include <stddef.h>
#include <stdint.h>

struct batch;

/*
 * Once the batch is validated: index its entries to be routed, mark those
 * that repeat an earlier entry's ID, and those whose ticket's existence
 * the batch must ask (a later entry has the same customer).
 */
void		 contacts_mark_repeats(struct batch *);
/*
 * Before the batch's reads go out, with b->ahead set: which tickets of the
 * batches ahead it must ask EXISTS of (b->ahead_ask), and which of its
 * entries repeat an ID of theirs.  -1 when out of memory.
 */
int		 contacts_plan_ahead(struct batch *);
/*
 * The contacts of entry i's customer within ms before it that Redis has
 * not counted: earlier entries of its batch, and of the batches ahead.
 */
long long	 contacts_unseen(const struct batch *, size_t i, int64_t ms);

#endif
