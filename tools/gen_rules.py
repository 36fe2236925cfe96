#!/usr/bin/env python3
"""Generate a large rules file for benchmarks: the sample's Redis, intake,
tiers, calendars and SLA sections with ROUTES route rules and SCORES score
rules of the shapes operators write (a category, a customer's region and
channel, a keyword in the subject, an order value, a list of accounts).

    tools/gen_rules.py --routes 1000 --scores 200 > big.yaml
"""
import argparse

p = argparse.ArgumentParser()
p.add_argument("--routes", type=int, default=1000)
p.add_argument("--scores", type=int, default=200)
p.add_argument("--teams", type=int, default=50)
a = p.parse_args()

teams = ["team_%d" % i for i in range(a.teams)]
print("""redis:
  host: 127.0.0.1
  port: 6379
  prefix: "triage:"
intake:
  channels: [phone, email, chat, web, social]
customers:
  key: "crm:customer:{customer_id}"
tiers:
  levels:
    - name: vip
      when: {customer.level: vip}
    - name: key
      when:
        any:
          - {order_value: {gte: 100000}}
          - {customer.annual_value: {gte: 500000}}
    - name: standard
urgency:
  levels: [critical, high, medium, low]
  thresholds: {critical: 80, high: 50, medium: 20}
  overrides:
    - {when: {category: outage, channel: phone}, level: critical}
  score:""")
for i in range(a.scores):
    k = i % 4
    if k == 0:
        w = "{subject: {contains: [kw%d, \"关键词%d\"]}}" % (i, i)
    elif k == 1:
        w = "{category: cat_%d, channel: phone}" % (i % 40)
    elif k == 2:
        w = "{customer.region: region_%d}" % (i % 30)
    else:
        w = "{order_value: {gte: %d}}" % (1000 * (i + 1))
    print("    - {when: %s, points: %d}" % (w, 1 + i % 20))
print("teams: [%s]" % ", ".join(teams))
print("routes:")
for i in range(a.routes):
    k = i % 5
    if k == 0:
        w = "{category: cat_%d}" % i
    elif k == 1:
        w = "{customer.region: region_%d, channel: [phone, chat]}" % i
    elif k == 2:
        w = "{subject: {contains: [\"route%d\", \"路由%d\"]}}" % (i, i)
    elif k == 3:
        w = "{customer_id: {in: [acct_%d_a, acct_%d_b, acct_%d_c]}}" % (i, i, i)
    else:
        w = "{tier: vip, customer.region: region_%d}" % i
    print("  - {name: route_%d, when: %s, team: %s}" % (i, w, teams[i % len(teams)]))
print("""default_team: %s
calendars:
  cn_office:
    timezone: Asia/Shanghai
    hours: {mon-fri: "09:00-18:00", sat: "10:00-14:00"}
sla:
  - name: vip
    when: {tier: vip}
    calendar: always
    first_response:
      within: 1h
      escalate:
        - {at: 75%%, notify: team_lead}
        - {at: 100%%, notify: oncall_primary}
  - name: standard
    calendar: cn_office
    first_response: 24h
    resolution: 72h
notify: [team_lead, oncall_primary]
http:
  listen: ""
""" % teams[0])
