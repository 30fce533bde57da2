#!/usr/bin/env python3
"""Follow progress-service's feed: print one line per event, oldest first, and keep the place in a
file so that a restart goes on where it stopped (never an event twice, none skipped).

    python scripts/follow_feed.py --url http://127.0.0.1:5000 --token "$TOKEN" --state feed.position

The token is a service's (POST /api/auth/token with client credentials) or an admin's. Only the
standard library is used, so it runs with any Python 3.9+.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def read_page(url: str, token: str, after: str, wait: int) -> dict:
    query = urllib.parse.urlencode({"after": after, "limit": 500, "wait": wait})
    request = urllib.request.Request(f"{url}/api/events?{query}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=40) as response:
        return json.loads(response.read())


def keep(state: str, position: str) -> None:
    """Write the place atomically: a crash leaves the old place or the new one, never half of one."""
    with open(state + ".new", "w") as file:
        file.write(position)
    os.replace(state + ".new", state)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("PROGRESS_SERVICE_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--token", default=os.environ.get("PROGRESS_SERVICE_TOKEN"), required=False)
    parser.add_argument("--state", default="feed.position", help="file that keeps the place in the feed")
    parser.add_argument("--once", action="store_true", help="stop when the feed has nothing more")
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token (or PROGRESS_SERVICE_TOKEN): a service's or an admin's access token")
    after = open(args.state).read().strip() if os.path.exists(args.state) else "0"
    while True:
        try:
            page = read_page(args.url.rstrip("/"), args.token, after, 0 if args.once else 25)
        except urllib.error.HTTPError as error:
            problem = json.loads(error.read() or b"{}")
            print(f"progress-service answered {error.code}: {problem.get('detail', error.reason)}", file=sys.stderr)
            return 1
        except OSError as error:  # the service is away: try again shortly, from the same place
            print(f"cannot reach progress-service ({error}); trying again in 2 s", file=sys.stderr)
            time.sleep(2)
            continue
        for event in page["items"]:
            print(f"{event['recorded_at']}  user {event['user_id']}  title {event['title_id']}  "
                  f"{event['type']}  {json.dumps(event['data'], sort_keys=True)}", flush=True)
        if page["next_position"] != after:
            after = page["next_position"]
            keep(args.state, after)
        if args.once and not page["items"]:
            return 0


if __name__ == "__main__":
    sys.exit(main())
