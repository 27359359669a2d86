"""The runners behind the unit tests (in-process) and `make dev` (worker processes) serve concurrent
requests as separate Lambdas would."""

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from devtools import layers, workers
from devtools.runner import FunctionFailed
from devtools.workers import ProcessRunner
from tests.unit.apigw import bearer, body, event


def test_given_concurrent_requests_then_each_gets_its_own_answer(runner, user):
    def create(n: int) -> tuple[str, str]:
        request = event(
            "/v3/items",
            "POST",
            {**bearer(user["api_key"]), "Content-Type": "application/json"},
            json.dumps({"bookmark_url": f"https://example.com/{n}"}),
        )
        response = runner.call("V3CreateItemFunction", request)
        return f"https://example.com/{n}", body(response).get("redirect_url", response)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(create, range(40)))
    assert [answered for asked, answered in answers if asked != answered] == []


def test_given_more_concurrent_calls_than_instances_then_a_capped_pool_of_processes_answers_each(monkeypatch):
    # Given a function allowed two execution environments, recycled after half a second idle on a clock the
    # test moves (on the real one, a loaded machine could pause half a second and stop both before the count)
    idle_clock = [0.0]
    monkeypatch.setattr(workers, "_idle_clock", lambda: idle_clock[0])
    runner = ProcessRunner(max_instances=2, idle_seconds=0.5)
    try:
        # When six clients call it twelve times at once
        with ThreadPoolExecutor(6) as pool:
            responses = list(pool.map(lambda n: runner.call("NotFoundFunction", event(f"/v3/nowhere/{n}")), range(12)))
        # Then every call is answered, by at most two worker processes
        assert [response["statusCode"] for response in responses] == [404] * 12
        assert 1 <= runner.instances()["NotFoundFunction"] <= 2
        # And once they have been idle longer than that, they are stopped
        idle_clock[0] += 0.6
        deadline = time.monotonic() + 30
        while runner.instances() and time.monotonic() < deadline:
            time.sleep(0.1)  # polls the condition: the recycler looks every idle_seconds / 4
        assert runner.instances() == {}
    finally:
        runner.close()


def test_given_a_handler_that_raises_in_a_worker_then_the_failure_is_reported_and_the_worker_serves_on():
    runner = ProcessRunner(max_instances=1, idle_seconds=60)
    try:
        with pytest.raises(FunctionFailed) as failed:
            runner.call("NotFoundFunction", {"not": "an API Gateway event"})
        assert failed.value.error_type and "NotFoundFunction" in str(failed.value)
        assert runner.call("NotFoundFunction", event("/v3/nowhere"))["statusCode"] == 404
        assert runner.instances() == {"NotFoundFunction": 1}
    finally:
        runner.close()


class _Output:
    def write_str(self, text: str) -> None:
        self.text = text


def test_given_two_requests_with_sams_one_request_id_then_each_is_named_by_its_own(runner, user):
    # Given SAM CLI's events, whose requestId is computed once for all requests
    request = json.dumps(event("/v3/account", headers=bearer(user["api_key"])))
    answers = []
    for _ in range(2):
        output = _Output()
        runner.invoke("V3AccountFunction", request, stdout=output)
        answers.append(json.loads(output.text))
    # Then each answer names its request with an id of its own, as API Gateway's x-amzn-RequestId does
    assert [answer["statusCode"] for answer in answers] == [200, 200]
    ids = [answer["headers"]["x-amzn-RequestId"] for answer in answers]
    assert len(set(ids)) == 2 and json.loads(request)["requestContext"]["requestId"] not in ids


@pytest.mark.pure
def test_given_a_function_without_the_passkeys_layer_then_its_worker_cannot_import_webauthn():
    # Given the template's layers, when a worker sets up a function that carries only the shared one
    refused = layers.refused(["SharedLayer"])
    probe = "from devtools import layers; layers.refuse(frozenset(%r)); import json\ntry:\n import webauthn\nexcept ModuleNotFoundError as e: print('refused', e.name)"
    result = subprocess.run([sys.executable, "-c", probe % sorted(refused)], capture_output=True, text=True, check=True)
    # Then py_webauthn and pyOpenSSL are not there for it, as on AWS; with both layers nothing is refused
    assert {"webauthn", "OpenSSL", "cryptography"} <= refused and result.stdout.strip() == "refused webauthn"
    assert layers.refused(["SharedLayer", "PasskeysLayer"]) == frozenset()
