"""The Digest protocol pieces, checked against RFC 7616's own worked example (§3.9.1)."""

import pytest

from cloudshare.services import digest

pytestmark = pytest.mark.pure  # no AWS: the per-test moto resources are skipped

RFC_EXAMPLE = (
    'username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm={algorithm}, '
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, '
    'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="{response}", '
    'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
)
RFC_RESPONSES = {
    "MD5": "8ca523f5e9506fed4657c9700eebdbec",
    "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
}


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_given_the_rfc_example_when_checked_then_its_response_matches(algorithm):
    credentials = digest.parse(RFC_EXAMPLE.format(algorithm=algorithm, response=RFC_RESPONSES[algorithm]))
    stored = digest.ha1(algorithm, "Mufasa", "http-auth@example.org", "Circle of Life")
    assert digest.response_matches(credentials, stored, "GET")
    wrong = digest.ha1(algorithm, "Mufasa", "http-auth@example.org", "Circle of Death")
    assert not digest.response_matches(credentials, wrong, "GET")
    assert not digest.response_matches(credentials, stored, "POST")


def test_given_a_fresh_nonce_when_checked_then_its_issue_time_comes_back():
    nonce = digest.make_nonce(b"secret", 1_000)
    assert digest.check_nonce((b"secret",), nonce, now=1_010, ttl=300) == 1_000


def test_given_an_old_nonce_when_checked_then_it_is_stale():
    nonce = digest.make_nonce(b"secret", 1_000)
    with pytest.raises(digest.BadNonce) as raised:
        digest.check_nonce((b"secret",), nonce, now=1_300, ttl=300)
    assert raised.value.stale


@pytest.mark.parametrize(
    "nonce",
    [
        digest.make_nonce(b"another server's secret", 1_000),
        "not-base64-at-all!!",
        "",
        "AAAA",
    ],
    ids=["signed-by-another-secret", "not-base64", "empty", "too-short"],
)
def test_given_a_nonce_we_did_not_sign_when_checked_then_it_is_forged_not_stale(nonce):
    with pytest.raises(digest.BadNonce) as raised:
        digest.check_nonce((b"secret",), nonce, now=1_010, ttl=300)
    assert not raised.value.stale


def test_given_a_nonce_with_a_tampered_timestamp_when_checked_then_it_is_refused():
    import base64

    nonce = digest.make_nonce(b"secret", 1_000)
    raw = bytearray(base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4)))
    raw[7] ^= 0x01
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(digest.BadNonce):
        digest.check_nonce((b"secret",), tampered, now=1_010, ttl=300)


@pytest.mark.parametrize(
    "header, complaint",
    [
        ('username="a", realm="r"', "lacks"),
        (RFC_EXAMPLE.format(algorithm="SHA-512-256", response="x"), "Unsupported Digest algorithm"),
        (RFC_EXAMPLE.format(algorithm="MD5", response="x").replace("qop=auth", "qop=auth-int"), "qop"),
        (RFC_EXAMPLE.format(algorithm="MD5", response="x").replace("nc=00000001", "nc=zz"), "hexadecimal"),
        (RFC_EXAMPLE.format(algorithm="MD5", response="x") + ", userhash=true", "userhash"),
        ('"""""""', "could not be parsed"),
        ("justgarbage", "could not be parsed"),
    ],
)
def test_given_a_malformed_header_when_parsed_then_the_reason_is_named(header, complaint):
    with pytest.raises(digest.MalformedDigest, match=complaint):
        digest.parse(header)


def test_given_challenges_then_md5_comes_first_for_first_challenge_clients_and_both_share_one_nonce():
    offered = digest.challenges("cloudshare", "n0nce", "opq", stale=False)
    assert [c.split("algorithm=")[1].split(",")[0] for c in offered] == ["MD5", "SHA-256"]
    assert all('nonce="n0nce"' in c and "stale" not in c for c in offered)
    assert all("stale=true" in c for c in digest.challenges("cloudshare", "n", "o", stale=True))
