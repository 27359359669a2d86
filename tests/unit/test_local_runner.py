"""The in-process runner behind `make dev` serves concurrent requests as separate Lambdas would."""

import json
from concurrent.futures import ThreadPoolExecutor

from tests.unit.apigw import bearer, body, event


def test_given_concurrent_requests_then_each_gets_its_own_answer(runner, user, serializable_transactions):
    def create(n: int) -> tuple[str, str]:
        request = event("/v3/items", "POST", {**bearer(user["api_key"]), "Content-Type": "application/json"},
                        json.dumps({"bookmark_url": f"https://example.com/{n}"}))
        response = runner.call("V3CreateItemFunction", request)
        return f"https://example.com/{n}", body(response).get("redirect_url", response)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(create, range(40)))
    assert [answered for asked, answered in answers if asked != answered] == []
