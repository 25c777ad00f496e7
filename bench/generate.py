"""Writes N realistic syncsecrets profiles into a folder, the same bytes for the same seed and N.

    python bench/generate.py OUT [--profiles 10000] [--seed 1]

The mix follows what a real repository of provisioning apps holds: about half generic SCIM
apps with a bearer token, a fifth SCIM apps with OAuth 2 client credentials, and HR-driven
(Workday) and cross-tenant apps for the rest. Profiles sit in team folders (team-00 .. team-09)
and about a third of the SCIM ones extend the shared partial `_shared.toml` at the root, so the
benchmark also pays for `extends`. Every profile carries a `sync_all = ...` line that `touch`
flips, so the "1% changed" scenario has real changes to compile.
"""

from __future__ import annotations

import argparse
import os
import random
import uuid

TEAMS = 10
SHARED = """\
# Settings most SCIM apps of this repository share; profiles pull them in with `extends`.
skip_out_of_scope_deletions = true

[notifications]
recipients = "iam-alerts@contoso.example"
delete_threshold = 500
"""
WORDS = "acme atlas birch cobalt delta ember fjord globex harbor indigo juniper kestrel lumen meridian nimbus onyx"
PRODUCTS = "crm hr wiki tickets billing chat docs analytics payroll learning travel expenses vault build"
WORDS, PRODUCTS = WORDS.split(), PRODUCTS.split()


def guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def recipients(rng: random.Random, team: str) -> str:
    if rng.random() < 0.3:
        return f'["iam-alerts@contoso.example", "{team}-oncall@contoso.example"]'
    return f'"{team}@contoso.example"'


def application(rng: random.Random, display: str, template: str) -> str:
    return (
        f'\n[application]\ndisplay_name = "{display}"\nservice_principal_id = "{guid(rng)}"\ntemplate = "{template}"\n'
    )


def profile(rng: random.Random, index: int, team: str) -> tuple[str, str]:
    """(file name, TOML text) of profile number `index`."""
    vendor, product = rng.choice(WORDS), rng.choice(PRODUCTS)
    name = f"{vendor}-{product}-{index:05d}"
    display = f"{vendor.title()} {product.upper() if len(product) <= 3 else product.title()} {index}"
    env = name.upper().replace("-", "_")
    host = f"{vendor}{index}.{product}.example"
    sync_all = f"sync_all = {str(rng.random() < 0.2).lower()}\n"
    roll = rng.random()
    if roll < 0.70:  # SCIM: 50% of all profiles with a bearer token, 20% with OAuth 2
        oauth = roll >= 0.50
        extends = rng.random() < 0.35
        lines = [f"# {display}: SCIM {'with OAuth 2 client credentials' if oauth else 'with a bearer token'}.\n"]
        if extends:
            lines.append('extends = "../_shared.toml"\n\n')
        lines.append(f'base_address = "https://{host}/scim/v2"\n')
        if oauth:
            lines.append(
                'authentication_type = "OAuth2ClientCredentialsGrant"\n'
                f'oauth2_token_exchange_uri = "https://login.{host}/oauth2/token"\n'
                f'oauth2_client_id = "entra-{index}"\n'
                f'oauth2_client_secret = {{ env = "{env}_CLIENT_SECRET" }}\n'
            )
        else:
            lines.append(f'secret_token = {{ env = "{env}_SCIM_TOKEN" }}\n')
        lines.append(sync_all)
        if not extends:
            lines.append(f"skip_out_of_scope_deletions = {str(rng.random() < 0.7).lower()}\n")
            lines.append(
                f"\n[notifications]\nrecipients = {recipients(rng, team)}\n"
                f"delete_threshold = {rng.choice([50, 100, 200, 500, 1000])}\n"
            )
        elif rng.random() < 0.3:  # overrides one field of the partial's table
            lines.append(f"\n[notifications]\ndelete_threshold = {rng.choice([50, 100, 200])}\n")
        lines.append(application(rng, display, "scim-oauth2" if oauth else "scim"))
    elif roll < 0.85:  # HR-driven inbound provisioning
        lines = [
            f"# {display}: Workday to Microsoft Entra ID, HR-driven.\n",
            f'user_name = "ISU_Entra_{index}@{vendor}"\n',
            f'password = {{ env = "{env}_ISU_PASSWORD" }}\n',
            f'base_address = "https://wd{index % 5 + 1}-services1.myworkday.com/ccx/service/{vendor}{index}"\n',
            sync_all,
            f"\n[notifications]\nrecipients = {recipients(rng, team)}\n"
            f"delete_threshold = {rng.choice([100, 200, 500])}\nhr_lookahead_query = true\n",
            application(rng, display, "workday"),
        ]
    else:  # cross-tenant synchronization into a subsidiary's tenant
        lines = [
            f"# {display}: cross-tenant synchronization.\n",
            f'company_id = "{guid(rng)}"\n',
            'authentication_type = "SyncPolicy"\n',
            sync_all,
            f"\n[notifications]\nrecipients = {recipients(rng, team)}\ndelete_threshold = 50\n",
            application(rng, display, "cross-tenant"),
        ]
    return f"{name}.toml", "".join(lines)


def generate(folder: str, count: int, seed: int = 1) -> list[str]:
    """Writes `count` profiles and the partial under `folder`; returns the profiles' paths."""
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "_shared.toml"), "w", encoding="utf-8") as handle:
        handle.write(SHARED)
    for team in range(TEAMS):
        os.makedirs(os.path.join(folder, f"team-{team:02d}"), exist_ok=True)
    paths = []
    for index in range(count):
        team = f"team-{index % TEAMS:02d}"
        name, text = profile(rng, index, team)
        path = os.path.join(folder, team, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        paths.append(path)
    return paths


def touch(path: str) -> None:
    """Changes one profile the way a reviewer would see it: flips its `sync_all`."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    old, new = ("sync_all = false", "sync_all = true")
    if old not in text:
        old, new = new, old
    text = text.replace(old, new, 1)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder to write the profiles into")
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.profiles, args.seed)
    print(f"wrote {args.profiles} profiles and _shared.toml into {args.out}")


if __name__ == "__main__":
    main()
