/*
 * test_crm_parse.c - CRM exports as the tests write them, in the column
 * layouts of Zoho CRM (English headers, Excel's CSV) and 纷享销客 /
 * Fxiaoke (Chinese headers, exported as GBK), and JSON lines: the rows
 * that come out, with their lines, and the rows refused, with why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iconv.h>

#include <cmocka.h>

#include "crm_json.h"
#include "crm_parse.h"

/* What the sink saw, one line of text per record or rejection. */
struct seen {
	char	 rec[64][512];
	size_t	 nrec;
	char	 rej[64][512];
	size_t	 nrej;
};

static void
on_record(void *arg, size_t line, const char *key, size_t key_len,
    const struct field *f, size_t n)
{
	struct seen	*s = arg;
	char		*o = s->rec[s->nrec++];
	size_t		 len;

	len = (size_t)snprintf(o, 512, "%zu %.*s:", line, (int)key_len, key);
	for (size_t i = 0; i < n && len < 512; i++)
		len += (size_t)snprintf(o + len, 512 - len, " %.*s=%.*s",
		    (int)f[i].name_len, f[i].name, (int)f[i].value_len,
		    f[i].value);
}

static void
on_reject(void *arg, size_t line, const char *why)
{
	struct seen	*s = arg;

	snprintf(s->rej[s->nrej++], 512, "%zu %s", line, why);
}

static int
parse(const char *buf, size_t len, const struct crm_options *o,
    struct seen *s, char *err)
{
	struct crm_sink	sink = { on_record, on_reject, s };

	memset(s, 0, sizeof *s);
	return crm_parse(buf, len, o, &sink, err, 256);
}

/* UTF-8 text as GBK bytes, as 纷享销客 exports it for Excel. */
static size_t
to_gbk(const char *utf8, char *out, size_t size)
{
	iconv_t	 cd = iconv_open("GBK", "UTF-8");
	char	*ip = (char *)(uintptr_t)utf8, *op = out;
	size_t	 il = strlen(utf8), ol = size;

	assert_true(cd != (iconv_t)-1);
	assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
	iconv_close(cd);
	return size - ol;
}

/*
 * Zoho CRM's Accounts export: Excel's CSV with a BOM and CRLF, a quoted
 * field holding a comma, one holding quotes, one a line break; the ID in
 * "Record Id", renamed with --map and used as --key by its new name.
 */
static void
test_zoho(void **state)
{
	static const char	csv[] =
	    "\xEF\xBB\xBF"
	    "Record Id,Account Name,Account Owner,Industry,Annual Revenue,Rating\r\n"
	    "zcrm_1001,\"Acme, Inc.\",Li Wei,Manufacturing,1200000,Hot\r\n"
	    "zcrm_1002,\"The \"\"Best\"\" Shop\",Wang Fang,Retail,,Warm\r\n"
	    "zcrm_1003,\"Two\r\nlines\",Zhao Min,Finance,800000,Cold\r\n"
	    ",No Id Ltd,Li Wei,Retail,1,Hot\r\n"
	    "zcrm_1005,Extra,Li Wei,Retail,1,Hot,surplus\r\n"
	    ",,,,,\r\n"
	    "zcrm_1006,Short Ltd\r\n";
	struct crm_map		map[] = {
		{ "Record Id", "customer_id" },
		{ "Account Owner", "-" },
		{ "Annual Revenue", "annual_value" },
	};
	struct crm_options	o = { .map = map, .nmap = 3 };
	struct seen		s;
	char			err[256];

	(void)state;
	assert_int_equal(parse(csv, sizeof csv - 1, &o, &s, err), 0);
	assert_int_equal(s.nrec, 4);
	assert_string_equal(s.rec[0], "2 zcrm_1001: customer_id=zcrm_1001 "
	    "account_name=Acme, Inc. industry=Manufacturing "
	    "annual_value=1200000 rating=Hot");
	/* An empty cell is not written: a re-import keeps what was there. */
	assert_string_equal(s.rec[1], "3 zcrm_1002: customer_id=zcrm_1002 "
	    "account_name=The \"Best\" Shop industry=Retail rating=Warm");
	assert_string_equal(s.rec[2], "4 zcrm_1003: customer_id=zcrm_1003 "
	    "account_name=Two\r\nlines industry=Finance annual_value=800000 "
	    "rating=Cold");
	/* Fewer cells than columns: the rest are empty. */
	assert_string_equal(s.rec[3], "9 zcrm_1006: customer_id=zcrm_1006 "
	    "account_name=Short Ltd");
	assert_int_equal(s.nrej, 2);
	assert_string_equal(s.rej[0], "6 no customer ID: column 'Record Id' "
	    "is empty");
	assert_string_equal(s.rej[1], "7 7 columns, the header has 6 (an "
	    "unquoted comma or tab?)");
}

/*
 * 纷享销客's customer export: Chinese headers, GBK, tab-separated; the ID
 * column named with --key as written; a cell that is not GBK at all.
 */
static void
test_fxiaoke_gbk(void **state)
{
	char			buf[2048], err[256];
	size_t			len;
	struct crm_map		map[] = { { "客户级别", "level" } };
	struct crm_options	o = { .key = "客户编号", .map = map, .nmap = 1,
				    .encoding = "gbk" };
	struct seen		s;
	const char		*bad = "FX-003\t\x80\xff\tvip\tx\t1\n";

	(void)state;
	len = to_gbk("客户编号\t客户名称\t客户级别\t负责人\t成交金额\n"
	    "FX-001\t北京星辰科技有限公司\tvip\t张伟\t560000\n"
	    "FX-002\t\"上海\t海鸥贸易\"\t普通\t李娜\t12000\n", buf, sizeof buf);
	/* A byte GBK does not have, in a third row. */
	memcpy(buf + len, bad, strlen(bad));
	len += strlen(bad);
	assert_int_equal(parse(buf, len, &o, &s, err), 0);
	assert_int_equal(s.nrec, 2);
	assert_string_equal(s.rec[0], "2 FX-001: 客户编号=FX-001 "
	    "客户名称=北京星辰科技有限公司 level=vip 负责人=张伟 "
	    "成交金额=560000");
	assert_string_equal(s.rec[1], "3 FX-002: 客户编号=FX-002 "
	    "客户名称=上海\t海鸥贸易 level=普通 负责人=李娜 成交金额=12000");
	assert_int_equal(s.nrej, 1);
	assert_string_equal(s.rej[0], "4 column '客户名称' is not valid UTF-8 "
	    "after conversion from gbk");

	/* The same bytes read as UTF-8: every row is refused, none garbled. */
	o.encoding = NULL;
	o.key = NULL;
	o.nmap = 0;
	assert_int_equal(parse(buf, len, &o, &s, err), -1);
	assert_string_equal(err, "no column 'customer_id' for the customer "
	    "ID: name the ID column with --key COLUMN");
}

/* GB18030 too, with iconv's name for it; an unknown encoding is refused. */
static void
test_encodings(void **state)
{
	struct crm_options	o = { .encoding = "gb18030" };
	struct seen		s;
	char			err[256];

	(void)state;
	assert_int_equal(parse("customer_id,name\nC1,x\n", 22, &o, &s, err),
	    0);
	assert_int_equal(s.nrec, 1);
	o.encoding = "klingon";
	assert_int_equal(parse("customer_id\nC1\n", 15, &o, &s, err), -1);
	assert_string_equal(err, "unknown encoding 'klingon' (e.g. gbk, "
	    "gb18030, big5, utf-16)");
}

/* Header names: lower-cased, blanks as '_'; --key by any of its names. */
static void
test_names(void **state)
{
	char			out[64];
	static const char	csv[] = "  Customer   ID ,Annual Value\n"
				    "C9,5\n";
	struct crm_options	o = { .key = "customer_id" };
	struct seen		s;
	char			err[256];

	(void)state;
	assert_int_equal(crm_parse_name(" Account  Name ", 15, out,
	    sizeof out), 12);
	assert_string_equal(out, "account_name");
	crm_parse_name("客户 编号", strlen("客户 编号"), out, sizeof out);
	assert_string_equal(out, "客户_编号");
	/* A NUL would cut the name short: dropped (found by fuzz_crm). */
	assert_int_equal(crm_parse_name("Le\0vel\x01", 7, out, sizeof out), 5);
	assert_string_equal(out, "level");
	assert_int_equal(parse(csv, sizeof csv - 1, &o, &s, err), 0);
	assert_string_equal(s.rec[0], "2 C9: customer_id=C9 annual_value=5");
	o.key = "Nope";
	assert_int_equal(parse(csv, sizeof csv - 1, &o, &s, err), -1);
	assert_string_equal(err, "--key: no column 'Nope' in the header");
	assert_int_equal(parse("", 0, &(struct crm_options){ 0 }, &s, err), -1);
	assert_string_equal(err, "the file has no header row");
}

/* Customer IDs: bytes a customer_id can have. */
static void
test_bad_key(void **state)
{
	static const char	csv[] = "customer_id,x\n"
				    "\"C\x01\",1\n"
				    "C\xc3\x28,1\n"
				    "OK-1,1\n";
	struct crm_options	o = { 0 };
	struct seen		s;
	char			err[256];

	(void)state;
	assert_int_equal(parse(csv, sizeof csv - 1, &o, &s, err), 0);
	assert_int_equal(s.nrec, 1);
	assert_int_equal(s.nrej, 2);
	assert_non_null(strstr(s.rej[0], "2 customer ID 'C"));
	assert_non_null(strstr(s.rej[0], "control characters"));
	assert_string_equal(s.rej[1], "3 column 'customer_id' is not valid "
	    "UTF-8");
	assert_true(crm_parse_key_valid("客户-1", strlen("客户-1")));
	assert_false(crm_parse_key_valid("", 0));
}

/* JSON lines: flat objects of strings and numbers; the rest refused. */
static void
test_jsonl(void **state)
{
	static const char	jl[] =
	    "{\"customer_id\": \"J1\", \"Level\": \"vip\", \"annual_value\": 900000}\r\n"
	    "\n"
	    "{\"customer_id\": \"J2\", \"tags\": [\"a\"]}\n"
	    "{\"name\": \"no id\"}\n"
	    "not json\n"
	    "{\"customer_id\": \"J5\", \"ratio\": 0.5, \"on\": true}\n"
	    "{\"customer_id\": \"J6\", \"Customer Level\": \"key\"}";
	struct crm_options	o = { 0 };
	struct seen		s;
	char			err[256];

	(void)state;
	assert_int_equal(parse(jl, sizeof jl - 1, &o, &s, err), 0);
	assert_int_equal(s.nrec, 2);
	assert_string_equal(s.rec[0], "1 J1: customer_id=J1 level=vip "
	    "annual_value=900000");
	assert_string_equal(s.rec[1], "7 J6: customer_id=J6 "
	    "customer_level=key");
	assert_int_equal(s.nrej, 4);
	assert_string_equal(s.rej[0], "3 field 'tags' is an array (expected "
	    "a string or a number)");
	assert_string_equal(s.rej[1], "4 no column 'customer_id' for the "
	    "customer ID: name the ID column with --key COLUMN");
	assert_non_null(strstr(s.rej[2], "5 not JSON: "));
	assert_string_equal(s.rej[3], "6 field 'on' is a boolean (expected a "
	    "string or a number)");
}

/* The push body: the same object rules, numbers written back as text. */
static void
test_json_object(void **state)
{
	struct crm_json		*cj;
	const struct field	*f;
	size_t			 n;
	char			 err[CRM_JSON_ERROR_MAX];

	(void)state;
	cj = crm_json_parse("{\"level\":\"vip\",\"n\":-3,\"r\":2.25}", 31,
	    err, sizeof err);
	assert_non_null(cj);
	f = crm_json_fields(cj, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(f[1].value, "-3", 2);
	assert_int_equal(f[2].value_len, 4);
	assert_memory_equal(f[2].value, "2.25", 4);
	crm_json_free(cj);
	assert_null(crm_json_parse("[1]", 3, err, sizeof err));
	assert_string_equal(err, "expected a JSON object of fields, found an "
	    "array");
	assert_null(crm_json_parse("{}", 2, err, sizeof err));
	assert_string_equal(err, "the object has no field");
	assert_null(crm_json_parse("{\"a\":{\"b\":1}}", 13, err, sizeof err));
	assert_string_equal(err, "field 'a' is an object (expected a string "
	    "or a number)");
	assert_null(crm_json_parse("{\"a\":null}", 10, err, sizeof err));
	assert_null(crm_json_parse("{\"a\":1,\"a\":2}", 13, err, sizeof err));
	assert_non_null(strstr(err, "not JSON: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zoho),
		cmocka_unit_test(test_fxiaoke_gbk),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_key),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_json_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
