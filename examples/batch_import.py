"""Batch SMS opt-out import: the Python example of 000_4120ae5ce1e52dc7.txt, runnable.

Adapted only so that it runs somewhere other than api.convoso.com: the base URL and the token come
from the command line or the environment, and the CSV path is an argument. The loop, the fields
and the defaults (including ``purpose`` sent as ``''`` when the CSV has none) are the document's.

    python examples/batch_import.py sms_optouts.csv --base-url http://127.0.0.1:8080/v1
    (token: --token or CONVOSO_AUTH_TOKEN / OPTOUT_CONFORMANCE_TOKEN)

The CSV has the columns ``phone`` and ``code`` and, optionally, ``campaign_id``, ``reason``,
``purpose``.
"""

import argparse
import csv
import os

import requests

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("csv_path", nargs="?", default="sms_optouts.csv")
parser.add_argument("--base-url", default=os.environ.get("CONVOSO_BASE_URL", "https://api.convoso.com/v1"))
parser.add_argument("--token", default=os.environ.get("CONVOSO_AUTH_TOKEN",
                                                      os.environ.get("OPTOUT_CONFORMANCE_TOKEN")))
args = parser.parse_args()
token = args.token

# Read opt-out file
with open(args.csv_path) as f:
    reader = csv.DictReader(f)
    optouts = list(reader)

# Process each opt-out
for optout in optouts:
    response = requests.post(
        f"{args.base_url.rstrip('/')}/sms-opt-out/insert",
        data={
            'auth_token': token,
            'phone_number': optout['phone'],
            'phone_code': optout['code'],
            'campaign_id': optout.get('campaign_id', '0'),
            'reason': optout.get('reason', 'Batch Import'),
            'purpose': optout.get('purpose', '')
        },
        timeout=10,
    )

    if response.json()['success']:
        print(f"Opted out: {optout['phone']}")
    else:
        print(f"Failed: {optout['phone']}")
