#!/usr/bin/env python3
"""Simulated sign-up traffic for one tenant, for evaluating pre-user-registration.

Writes one JSON line per attempt, in time order:
  {"t" (epoch s), "kind", "label", "context"}
where `context` is what the pre-user-registration shim passes to the core
(minus `counters`, which the replay carries from attempt to attempt).

Assumptions (knobs below; none is a measurement of real traffic):
- People: ~1,500 sign-ups a day, more in office hours; 55% with a work address
  (a few hundred companies), 45% free webmail; residential networks (home /24s
  are shared by few sign-ups), 8% from a mobile carrier NAT, 5% behind a
  commercial VPN (a hosting ASN), a common browser. Companies onboard in
  waves: ~3 a day bring 15-40 colleagues over one to three hours from their
  office /24. 1% of people use a throwaway inbox; the default policy refuses
  them, and the report counts them apart from the detector's errors.
- Bots, in waves of 40-400 attempts over 10-60 minutes, ~4 waves a day:
  * cloud: a handful of hosting-network addresses, an HTTP library or a
    headless browser 70% of the time, disposable (40%) or random free-mail
    addresses;
  * single: one address, an HTTP library, random free-mail addresses;
  * proxy: a residential proxy pool (a fresh /24 per attempt), a stock
    browser string, random free-mail addresses and 20% disposable: the hard
    case, caught only by its domains.
"""

import argparse
import json
import random

HOSTING_ASNS = ["AS16509", "AS14061", "AS16276", "AS24940", "AS20473", "AS9009", "AS60068", "AS63949"]
FREE = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "gmx.de", "proton.me", "mail.ru", "qq.com"]
DISPOSABLE = ["mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com", "trashmail.com", "sharklasers.com"]
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
]
AUTOMATION = ["python-requests/2.31.0", "Go-http-client/1.1", "axios/1.6.2", "curl/8.4.0",
              "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"]
DAY = 86_400


def prefix(rng):
    return f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"


def local(rng):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randint(6, 12)))


def ctx(t, email, ip, asn, agent):
    return {"tenant": {"id": "sim"}, "user": {"email": email},
            "request": {"ip": ip, "asn": asn, "user_agent": agent, "geoip": {"countryCode": "US"}},
            "now_ms": t * 1000}


def people(rng, start, days):
    companies = [f"company{i}.example" for i in range(400)]
    out = []
    for day in range(days):
        for _ in range(1500):
            hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 9, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 2, 1])[0]
            t = start + day * DAY + hour * 3600 + rng.randint(0, 3599)
            r = rng.random()
            domain = rng.choice(DISPOSABLE) if r < 0.01 else rng.choice(companies) if r < 0.56 else rng.choice(FREE)
            kind = "person_disposable" if r < 0.01 else "person"
            n = rng.random()
            if n < 0.05:
                ip, asn = f"{prefix(rng)}.{rng.randint(1, 254)}", rng.choice(HOSTING_ASNS)
            elif n < 0.13:
                ip, asn = f"100.64.{rng.randint(0, 3)}.{rng.randint(1, 254)}", "AS21928"
            else:
                ip, asn = f"{prefix(rng)}.{rng.randint(1, 254)}", f"AS{rng.randint(64512, 65534)}"
            out.append({"t": t, "kind": kind, "label": 0, "context": ctx(t, f"{local(rng)}@{domain}", ip, asn, rng.choice(BROWSERS))})
        for _ in range(3):
            office, company = prefix(rng), rng.choice(companies)
            t0 = start + day * DAY + rng.randint(8, 15) * 3600
            span = rng.randint(3600, 3 * 3600)
            for _ in range(rng.randint(15, 40)):
                t = t0 + rng.randint(0, span)
                out.append({"t": t, "kind": "person_onboarding", "label": 0,
                            "context": ctx(t, f"{local(rng)}@{company}", f"{office}.{rng.randint(1, 254)}", "AS64600", rng.choice(BROWSERS))})
    return out


def bots(rng, start, days):
    out = []
    for day in range(days):
        for _ in range(4):
            style = rng.choice(["cloud", "single", "proxy"])
            t0 = start + day * DAY + rng.randint(0, DAY - 3600)
            span = rng.randint(600, 3600)
            size = rng.randint(40, 400)
            pool = [(f"{prefix(rng)}.{rng.randint(1, 254)}", rng.choice(HOSTING_ASNS)) for _ in range(rng.randint(2, 6))]
            single = (f"{prefix(rng)}.{rng.randint(1, 254)}", rng.choice(HOSTING_ASNS + ["AS64700"]))
            for _ in range(size):
                t = t0 + rng.randint(0, span)
                if style == "cloud":
                    ip, asn = rng.choice(pool)
                    agent = rng.choice(AUTOMATION) if rng.random() < 0.7 else rng.choice(BROWSERS)
                    domain = rng.choice(DISPOSABLE) if rng.random() < 0.4 else rng.choice(FREE)
                elif style == "single":
                    (ip, asn), agent, domain = single, rng.choice(AUTOMATION[:4]), rng.choice(FREE)
                else:
                    ip, asn = f"{prefix(rng)}.{rng.randint(1, 254)}", f"AS{rng.randint(64512, 65534)}"
                    agent = rng.choice(BROWSERS)
                    domain = rng.choice(DISPOSABLE) if rng.random() < 0.2 else rng.choice(FREE)
                out.append({"t": t, "kind": f"bot_{style}", "label": 1, "context": ctx(t, f"{local(rng)}@{domain}", ip, asn, agent)})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    start = 1_793_000_000
    events = sorted(people(rng, start, args.days) + bots(rng, start, args.days), key=lambda e: e["t"])
    counts = {}
    with open(args.out, "w") as out:
        for e in events:
            counts[e["kind"]] = counts.get(e["kind"], 0) + 1
            out.write(json.dumps(e, separators=(",", ":")) + "\n")
    print(json.dumps({"days": args.days, "attempts": counts}))


if __name__ == "__main__":
    main()
