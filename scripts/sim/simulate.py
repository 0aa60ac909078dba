#!/usr/bin/env python3
"""Simulated login traffic for training and evaluating the risk model.

Writes one JSON line per login, ordered by user then time:
  {"user", "split" (train|test, by user), "t" (epoch s), "kind", "label", "context"}
where `context` is what the post-login shim passes to the core (minus history,
which the replay in featurize.js carries from decision to decision).

Assumptions (each a knob below; none is a measurement of real traffic):
- Legitimate users have a home country and city, a residential ISP (ASN and a
  home /24), a mobile carrier used for ~15% of logins, one to three devices,
  a daily rhythm (logins between 07:00 and 22:00 local, peaking in office
  hours) and ~1.5 logins a day. 5% always connect through a commercial VPN
  (a hosting ASN). Each month ~4% take a trip abroad by plane (plausible
  speed, new country and networks for the trip's days); ~3% replace a device.
  Auth0's own riskAssessment is simulated consistently with those facts, with
  3% noise on NewDevice.
- Attackers, injected into 30% of users (one attack each) after they have some
  history (over-represented on purpose, so each type has ~100 held-out cases):
  * takeover: the right password, from another country, a residential
    network there, a device of the attacker's; sometimes within hours of
    the victim's last login (impossible travel), often not;
  * stuffing: hosting networks, an HTTP library or headless browser 70% of
    the time (a stock browser string otherwise), any country;
  * vpn: an attacker in the victim's own country behind a VPN (hosting ASN,
    60%) or a residential proxy (40%), with a common browser.
"""

import argparse
import json
import math
import random
import zlib

COUNTRIES = {
    # code: (lat, lon, utc offset hours, share of users)
    "US": (39.8, -98.6, -6, 0.30), "GB": (52.5, -1.5, 0, 0.10), "DE": (51.2, 10.4, 1, 0.10),
    "FR": (46.6, 2.4, 1, 0.07), "NL": (52.1, 5.3, 1, 0.05), "IN": (21.0, 78.0, 5.5, 0.08),
    "BR": (-14.2, -51.9, -3, 0.06), "JP": (36.2, 138.3, 9, 0.05), "AU": (-25.3, 133.8, 10, 0.04),
    "CA": (56.1, -106.3, -5, 0.05), "ES": (40.5, -3.7, 1, 0.04), "SG": (1.35, 103.8, 8, 0.02),
    "PL": (51.9, 19.1, 1, 0.02), "MX": (23.6, -102.6, -6, 0.02),
}
ATTACKER_COUNTRIES = ["RU", "CN", "NG", "VN", "UA", "RO", "BR", "IN", "US", "ID"]
ATTACKER_COORDS = {"RU": (55.8, 37.6), "CN": (31.2, 121.5), "NG": (6.5, 3.4), "VN": (10.8, 106.7), "UA": (50.4, 30.5),
                   "RO": (44.4, 26.1), "BR": (-23.5, -46.6), "IN": (19.1, 72.9), "US": (40.7, -74.0), "ID": (-6.2, 106.8)}
HOSTING_ASNS = ["AS16509", "AS14061", "AS16276", "AS24940", "AS20473", "AS9009", "AS60068", "AS63949", "AS51167"]
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{v2} Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{v2} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0",
]
AUTOMATION_UAS = ["python-requests/2.31.0", "curl/8.4.0", "Go-http-client/1.1", "okhttp/4.12.0", "axios/1.6.2",
                  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"]
DAY = 86_400


def ua(rng, idx=None):
    tpl = BROWSERS[idx if idx is not None else rng.randrange(len(BROWSERS))]
    return tpl.format(v=rng.randint(118, 124), v2=rng.randint(1, 6))


def ip_in(prefix, rng):
    return f"{prefix}.{rng.randint(1, 254)}"


def rand_prefix(rng):
    return f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"


def private_asn(rng):
    return f"AS{rng.randint(64512, 65534)}"


def haversine(a, b):
    (la1, lo1), (la2, lo2) = a, b
    p1, p2 = math.radians(la1), math.radians(la2)
    dp, dl = math.radians(la2 - la1), math.radians(lo2 - lo1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(min(1, math.sqrt(h)))


def auth0_assessment(rng, *, first, new_device, km, hours, proxy=False, deny_list=False):
    if first:
        travel, device = "initial_login", "initial_login"
    else:
        speed = km / max(hours, 1 / 60)
        if proxy:
            travel = "anonymous_proxy"
        elif speed > 1000 and km > 500:
            travel = "impossible_travel_from_last_login"
        elif km > 1500:
            travel = "substantial_travel_from_last_login"
        elif km > 100:
            travel = "travel_from_last_login"
        else:
            travel = "minimal_travel_from_last_login"
        noisy = rng.random() < 0.03
        device = "no_match" if (new_device != noisy) else "match"
    bad = sum([travel in ("impossible_travel_from_last_login", "anonymous_proxy"), device == "no_match", deny_list])
    confidence = "neutral" if first else ("low" if bad >= 2 else "medium" if bad == 1 else "high")
    return {"confidence": confidence, "assessments": {
        "ImpossibleTravel": {"code": travel}, "NewDevice": {"code": device},
        "UntrustedIP": {"code": "found_on_deny_list" if deny_list else "not_found_on_deny_list"}}}


def context(uid, t, n, cc, coords, ip, asn, agent, ra):
    return {"tenant": {"id": "sim"}, "user": {"user_id": uid}, "stats": {"logins_count": n},
            "request": {"ip": ip, "asn": asn, "user_agent": agent,
                        "geoip": {"countryCode": cc, "latitude": round(coords[0], 3), "longitude": round(coords[1], 3)}},
            "authentication": {"riskAssessment": ra}, "now_ms": t * 1000}


def simulate_user(i, rng, start, days, attack_rate):
    uid = f"auth0|sim{i:06d}"
    split = "test" if zlib.crc32(uid.encode()) % 5 == 0 else "train"
    cc = rng.choices(list(COUNTRIES), weights=[c[3] for c in COUNTRIES.values()])[0]
    lat0, lon0, offset, _ = COUNTRIES[cc]
    home = (lat0 + rng.uniform(-3, 3), lon0 + rng.uniform(-3, 3))
    isp, mobile = private_asn(rng), private_asn(rng)
    home_prefix, mobile_prefix = rand_prefix(rng), rand_prefix(rng)
    vpn_user = rng.random() < 0.05
    vpn_asn, vpn_prefix = rng.choice(HOSTING_ASNS), rand_prefix(rng)
    devices = [ua(rng) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
    rate = rng.uniform(0.6, 2.0)

    trip = None
    if rng.random() < 0.04 * days / 30:
        dest = rng.choice([c for c in COUNTRIES if c != cc])
        d0 = rng.uniform(3, days - 4)
        trip = (start + d0 * DAY, start + (d0 + rng.uniform(2, 8)) * DAY, dest)
    device_change = start + rng.uniform(2, days) * DAY if rng.random() < 0.03 * days / 30 else None

    events, t, n = [], start + rng.uniform(0, DAY), 0
    last = None  # (t, coords)
    known_devices = set()
    while t < start + days * DAY:
        local_h = ((t + offset * 3600) % DAY) / 3600
        if 7 <= local_h <= 22 and rng.random() < rate / 30 * (1.6 if 9 <= local_h <= 18 else 0.6):
            if device_change and t > device_change:
                devices[0] = ua(rng)
                device_change = None
            agent = rng.choice(devices)
            where_cc, coords = cc, (home[0] + rng.gauss(0, 0.05), home[1] + rng.gauss(0, 0.05))
            if vpn_user:
                ip, asn = ip_in(vpn_prefix, rng), vpn_asn
            elif rng.random() < 0.15:
                ip, asn = ip_in(mobile_prefix, rng), mobile
            else:
                ip, asn = ip_in(home_prefix, rng), isp
            if trip and trip[0] <= t <= trip[1]:
                where_cc = trip[2]
                d = COUNTRIES[trip[2]]
                coords = (d[0] + rng.gauss(0, 0.5), d[1] + rng.gauss(0, 0.5))
                ip, asn = ip_in(rand_prefix(rng), rng), private_asn(rng)
            km = haversine(last[1], coords) if last else 0
            hours = (t - last[0]) / 3600 if last else 0
            if last and km / max(hours, 1 / 60) > 950:
                t += 1800  # nobody flies faster than a plane: wait for the flight to land
                continue
            n += 1
            ra = auth0_assessment(rng, first=n == 1, new_device=agent not in known_devices, km=km, hours=hours)
            known_devices.add(agent)
            events.append({"user": uid, "split": split, "t": int(t), "kind": "legit", "label": 0,
                           "context": context(uid, int(t), n, where_cc, coords, ip, asn, agent, ra)})
            last = (t, coords)
        t += 1800 * rng.uniform(0.5, 1.5)

    if len(events) >= 5 and rng.random() < attack_rate:
        kind = rng.choice(["takeover", "stuffing", "vpn"])
        victim_login = rng.choice(events[4:])
        at = victim_login["t"] + int(rng.choice([rng.uniform(600, 4 * 3600), rng.uniform(DAY, 5 * DAY)]))
        prev = max((e for e in events if e["t"] <= at), key=lambda e: e["t"])
        pg = prev["context"]["request"]["geoip"]
        prev_coords, hours = (pg["latitude"], pg["longitude"]), (at - prev["t"]) / 3600
        if kind == "takeover":
            acc = rng.choice([c for c in ATTACKER_COUNTRIES if c != cc])
            base = ATTACKER_COORDS[acc]
            coords = (base[0] + rng.gauss(0, 1), base[1] + rng.gauss(0, 1))
            ip, asn, agent, proxy = ip_in(rand_prefix(rng), rng), private_asn(rng), ua(rng), False
            where = acc
        elif kind == "stuffing":
            acc = rng.choice(ATTACKER_COUNTRIES)
            base = ATTACKER_COORDS[acc]
            coords = (base[0] + rng.gauss(0, 1), base[1] + rng.gauss(0, 1))
            ip, asn, proxy = ip_in(rand_prefix(rng), rng), rng.choice(HOSTING_ASNS), False
            agent = rng.choice(AUTOMATION_UAS) if rng.random() < 0.7 else ua(rng, 0)
            where = acc
        else:
            coords = (home[0] + rng.uniform(-2, 2), home[1] + rng.uniform(-2, 2))
            proxy = rng.random() < 0.6
            ip = ip_in(rand_prefix(rng), rng)
            asn = rng.choice(HOSTING_ASNS) if proxy else private_asn(rng)
            agent, where = ua(rng, rng.choice([0, 0, 1, 2, 4])), cc
        km = haversine(prev_coords, coords)
        ra = auth0_assessment(rng, first=False, new_device=agent not in devices, km=km, hours=hours,
                              proxy=proxy and rng.random() < 0.5, deny_list=kind == "stuffing" and rng.random() < 0.3)
        events.append({"user": uid, "split": split, "t": at, "kind": kind, "label": 1,
                       "context": context(uid, at, n + 1, where, coords, ip, asn, agent, ra)})
        events.sort(key=lambda e: e["t"])
    return events


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=5000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--attack-rate", type=float, default=0.30)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    start = 1_793_000_000
    counts = {}
    with open(args.out, "w") as out:
        for i in range(args.users):
            for e in simulate_user(i, rng, start, args.days, args.attack_rate):
                counts[e["kind"]] = counts.get(e["kind"], 0) + 1
                out.write(json.dumps(e, separators=(",", ":")) + "\n")
    print(json.dumps({"users": args.users, "days": args.days, "events": counts}))


if __name__ == "__main__":
    main()
