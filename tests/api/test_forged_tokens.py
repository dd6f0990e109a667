"""Forged and malformed access tokens on GET /auth/me: each must be 401 unauthorized.

The libjwt traps (DESIGN.md): alg none, HMAC keyed with the public key, algorithm
taken from the token, case-insensitive alg, no claim checks at all. The first test
proves the forging helper makes tokens the service accepts, so the negatives mean
something: each negative differs from it in one thing only."""

import hashlib
import hmac
import json
import time

from harness import (Client, JWT_KEY, ok, eq, json_ok, problem, login, me, forge, good_claims, jwt_parts,
                     b64u, b64u_decode, jwt_json, public_pem, new_ec_key, public_xy)


def _session():
    c = Client()
    s = login(c)
    kid = jwt_parts(s["access_token"])[0]["kid"]
    return c, s, {"alg": "ES256", "typ": "JWT", "kid": kid}


def _all_rejected(c, tokens, authorization=False):
    """tokens: {label: token or Authorization value}. Every one must be 401 unauthorized."""
    accepted = []
    for label, tok in tokens.items():
        r = c.get("/auth/me", headers={"Authorization": tok}) if authorization else me(c, tok)
        try:
            problem(r, 401, "unauthorized")
        except AssertionError as e:
            accepted.append("%s -> %s" % (label, e))
    ok(not accepted, "%d of %d forged tokens not refused with 401 unauthorized: %s"
       % (len(accepted), len(tokens), " | ".join(accepted)))


def _with(claims, **changes):
    out = dict(claims)
    for k, v in changes.items():
        if v is _DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


_DROP = object()


def _hmac_signer(key, digest):
    return lambda data: hmac.new(key, data, digest).digest()


# ---------------------------------------------------------------- control

def test_self_forged_token_with_real_key_and_correct_claims_is_accepted():
    c, s, header = _session()
    tok = forge(header, good_claims(s["access_token"]))
    body = json_ok(me(c, tok), 200, "token forged with the real key and correct claims")
    eq(body["id"], s["user"]["id"], "me id")


# ---------------------------------------------------------------- algorithm confusion

def test_alg_none_tokens_are_401_in_any_case():
    c, s, header = _session()
    claims = good_claims(s["access_token"])
    tokens = {}
    for alg in ("none", "None", "NONE", "nOnE"):
        tokens["alg=%s" % alg] = forge(dict(header, alg=alg), claims, sign=lambda d: b"")
        tokens["alg=%s, no kid" % alg] = forge({"alg": alg, "typ": "JWT"}, claims, sign=lambda d: b"")
    _all_rejected(c, tokens)


def test_hmac_tokens_keyed_with_the_public_key_pem_are_401():
    ok(JWT_KEY, "STVS_TEST_JWT_PRIVATE_KEY not set")
    c, s, header = _session()
    claims = good_claims(s["access_token"])
    pem = public_pem(JWT_KEY)
    keys = {"pem+newline": pem.rstrip(b"\n") + b"\n", "pem": pem.rstrip(b"\n"),
            "pem crlf": pem.replace(b"\n", b"\r\n")}
    tokens = {}
    for alg, digest in (("HS256", hashlib.sha256), ("HS384", hashlib.sha384), ("HS512", hashlib.sha512)):
        for kname, key in keys.items():
            tokens["%s/%s" % (alg, kname)] = forge(dict(header, alg=alg), claims, sign=_hmac_signer(key, digest))
    _all_rejected(c, tokens)


def test_hs256_token_with_empty_key_is_401():
    c, s, header = _session()
    claims = good_claims(s["access_token"])
    _all_rejected(c, {
        "HS256 empty key": forge(dict(header, alg="HS256"), claims, sign=_hmac_signer(b"", hashlib.sha256)),
        "HS256 empty key, no kid": forge({"alg": "HS256", "typ": "JWT"}, claims, sign=_hmac_signer(b"", hashlib.sha256)),
        "HS256 empty signature": forge(dict(header, alg="HS256"), claims, sign=lambda d: b""),
    })


def test_es256_token_signed_by_another_key_with_same_kid_is_401():
    c, s, header = _session()
    claims = good_claims(s["access_token"])
    other = new_ec_key()
    x, y = public_xy(other)
    jwk = {"kty": "EC", "crv": "P-256", "x": b64u(x), "y": b64u(y), "kid": header["kid"]}
    _all_rejected(c, {
        "other key, same kid": forge(header, claims, key_path=other),
        "other key embedded as jwk header": forge(dict(header, jwk=jwk), claims, key_path=other),
    })


def test_lowercase_es256_alg_with_valid_signature_is_401():
    c, s, header = _session()
    claims = good_claims(s["access_token"])
    _all_rejected(c, {"alg=es256": forge(dict(header, alg="es256"), claims),
                      "alg=Es256": forge(dict(header, alg="Es256"), claims)})


def test_header_typ_other_than_jwt_is_401():
    c, s, header = _session()
    _all_rejected(c, {"typ=JWS": forge(dict(header, typ="JWS"), good_claims(s["access_token"]))})


# ---------------------------------------------------------------- claims (valid signature)

def test_expiry_claims_are_enforced():
    c, s, header = _session()
    g = good_claims(s["access_token"])
    now = int(time.time())
    _all_rejected(c, {
        "missing exp": forge(header, _with(g, exp=_DROP)),
        "exp as string": forge(header, _with(g, exp="9999999999")),
        "exp in the past": forge(header, _with(g, iat=now - 910, exp=now - 10)),
        "exp null": forge(header, _with(g, exp=None)),
        "missing iat": forge(header, _with(g, iat=_DROP)),
    })


def test_token_issued_in_the_future_is_401():
    c, s, header = _session()
    now = int(time.time())
    _all_rejected(c, {"iat tomorrow": forge(header, _with(good_claims(s["access_token"]),
                                                           iat=now + 86400, exp=now + 86400 + 900))})


def test_issuer_and_audience_are_enforced():
    c, s, header = _session()
    g = good_claims(s["access_token"])
    _all_rejected(c, {
        "wrong iss": forge(header, _with(g, iss="stvs-evil")),
        "missing iss": forge(header, _with(g, iss=_DROP)),
        "wrong aud": forge(header, _with(g, aud="other-api")),
        "missing aud": forge(header, _with(g, aud=_DROP)),
    })


def test_only_access_tokens_are_accepted():
    c, s, header = _session()
    g = good_claims(s["access_token"])
    _all_rejected(c, {
        "token_use=refresh": forge(header, _with(g, token_use="refresh")),
        "missing token_use": forge(header, _with(g, token_use=_DROP)),
        "missing sub": forge(header, _with(g, sub=_DROP)),
    })


# ---------------------------------------------------------------- tampering, garbage, headers

def test_tampered_token_is_401():
    c, s, _ = _session()
    h, p, sig = s["access_token"].split(".")
    claims = json.loads(b64u_decode(p))
    other_user = login(c)["user"]["id"]
    flipped = bytearray(b64u_decode(sig))
    flipped[10] ^= 0x01
    _all_rejected(c, {
        "sub changed": h + "." + b64u(jwt_json(dict(claims, sub=str(other_user)))) + "." + sig,
        "exp extended": h + "." + b64u(jwt_json(dict(claims, exp=claims["exp"] + 86400))) + "." + sig,
        "payload re-encoded with spaces": h + "." + b64u(json.dumps(claims, indent=1)) + "." + sig,
        "signature bit flipped": h + "." + p + "." + b64u(bytes(flipped)),
        "signature truncated": h + "." + p + "." + sig[:-4],
        "signature removed": h + "." + p + ".",
        "signature doubled": h + "." + p + "." + sig + sig,
    })


def test_garbage_tokens_are_401():
    c = Client()
    _all_rejected(c, {
        "word": "garbage",
        "dots": "..",
        "a.b.c": "a.b.c",
        "two parts": "e30.e30",
        "empty objects": "e30.e30.e30",
        "four parts": "e30.e30.e30.e30",
        "not base64": "%%%.&&&.***",
        "json header only": b64u('{"alg":"ES256","typ":"JWT"}') + "..",
        "long": "A" * 4000,
        "high bytes": "\u00e9\u00e9.\u00e9.\u00e9",
    })


def test_malformed_authorization_headers_are_401():
    c, s, _ = _session()
    tok = s["access_token"]
    _all_rejected(c, {
        "Bearer, no token": "Bearer",
        "Bearer and a space": "Bearer ",
        "Basic": "Basic xxx",
        "Basic credentials": "Basic dXNlcjpwYXNzd29yZA==",
        "token without scheme": tok,
        "other scheme": "Token " + tok,
    }, authorization=True)


def test_refused_token_answer_carries_www_authenticate():
    c, s, header = _session()
    r = me(c, forge(dict(header, alg="none"), good_claims(s["access_token"]), sign=lambda d: b""))
    problem(r, 401, "unauthorized")
    ok(r.header("WWW-Authenticate", "").lower().startswith("bearer"), "401 needs WWW-Authenticate: Bearer: %s" % r)
