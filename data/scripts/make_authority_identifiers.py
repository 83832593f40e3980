"""Make data/authority_identifiers.csv: how to recognise every authority the regions know when a
published notice's buyer is a platform or a shared service.

For each authority of ``data/authorities.csv`` (every UK council with a GSS code) it writes:

- ``code``: the GSS code;
- ``email_domains``: the council's e-mail domains, from the hand-kept
  ``data/authority_email_domains.csv`` (empty where none is recorded yet);
- ``iso_3166_2``: the council's three-letter code in the GOV.UK local-authority registers
  (``local-authority-code``: ``local-authority-eng``, ``-sct``, ``-nir`` and Wales's
  ``principal-local-authority``), the code OCDS party identifiers use (``GB-LAE:CMD``,
  ``GB-LAS:ABE``, ``GB-LAW:CRF``, ``GB-LANI:ANN``) and, where ISO 3166-2:GB has one, its code.

Reads the register of UK local authorities (``uk_local_authorities.csv``, joined on GSS code)
and fails on an authority it cannot find, on a code used twice, or on a domain file naming an
unknown authority. A council made since the register (``data/reorganisations.csv``) has no
three-letter code here yet.

    python data/scripts/make_authority_identifiers.py [REGISTER_CSV]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The reference files sit in a "shared" folder beside the checkout (or beside its parent).
SHARED = next(
    (p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data",
)
DEFAULT_REGISTER = SHARED / "real" / "uk_local_authorities.csv"
AUTHORITIES = ROOT / "data" / "authorities.csv"
DOMAINS = ROOT / "data" / "authority_email_domains.csv"
REORGANISATIONS = ROOT / "data" / "reorganisations.csv"
OUT = ROOT / "data" / "authority_identifiers.csv"
COLUMNS = ("code", "email_domains", "iso_3166_2")


def _rows(path: Path) -> list[dict[str, str]]:
    # The register holds one name damaged into invalid UTF-8 (see data/README.md); only its
    # codes are read here.
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        return list(csv.DictReader(f))


def build(register: Path) -> list[dict[str, str]]:
    by_gss = {r["gss-code"]: r for r in _rows(register) if r.get("gss-code")}
    domains = {r["code"]: r["email_domains"].strip() for r in _rows(DOMAINS)}
    codes = [r["code"] for r in _rows(AUTHORITIES)]
    newer = {r["code"] for r in _rows(REORGANISATIONS)}
    unknown = sorted(set(domains) - set(codes))
    if unknown:
        sys.exit(f"{DOMAINS.name} names authorities that are not in authorities.csv: {unknown}")
    out, seen = [], {}
    for code in codes:
        found = by_gss.get(code)
        if found is None and code in newer:
            out.append({"code": code, "email_domains": domains.get(code, ""), "iso_3166_2": ""})
            continue
        if found is None or not found.get("local-authority-code"):
            sys.exit(f"{code} has no local-authority-code in {register}")
        short = found["local-authority-code"].strip().upper()
        if short in seen:
            sys.exit(f"{short} is the code of both {seen[short]} and {code}")
        seen[short] = code
        out.append({"code": code, "email_domains": domains.get(code, ""), "iso_3166_2": short})
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("register", nargs="?", type=Path, default=DEFAULT_REGISTER)
    args = p.parse_args(argv)
    rows = build(args.register)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"Wrote {len(rows)} authorities to {OUT.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
