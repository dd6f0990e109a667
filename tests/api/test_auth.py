"""Auth service: SMS codes, code and password login, tokens, refresh rotation,
logout, /me, JWKS, password, and what the database stores."""

import hashlib
import json
import re
import time

from harness import (Client, JWT_ISS, JWT_AUD, JWT_KEY, eq, ok, status, json_ok, problem, field_errors,
                     retry_after, new_phone, psql, sql_str, backdate_sends, outbox_count, outbox_entry,
                     outbox_code, send_code, login, refresh, me, jwt_parts, b64u_decode, es256_verify,
                     public_xy)

SMS = "/auth/sms-codes"
SESSIONS = "/auth/sessions"


def _other_code(code):
    return "%06d" % ((int(code) + 1) % 1000000)


def _user_id(phone):
    return int(psql("SELECT id FROM auth.users WHERE phone = %s" % sql_str(phone)))


def _check_token_response(body, phone, msg):
    for k in ("access_token", "refresh_token"):
        ok(isinstance(body.get(k), str) and len(body[k]) >= 20, "%s: %s should be a token: %r" % (msg, k, body))
    eq(body.get("token_type"), "Bearer", msg + ": token_type")
    eq(body.get("expires_in"), 900, msg + ": expires_in")
    eq(body.get("refresh_expires_in"), 2592000, msg + ": refresh_expires_in")
    user = body.get("user")
    ok(isinstance(user, dict), "%s: user object expected: %r" % (msg, body))
    ok(isinstance(user.get("id"), int) and not isinstance(user.get("id"), bool) and user["id"] > 0,
       "%s: user.id should be a positive integer: %r" % (msg, user))
    eq(user.get("phone"), phone, msg + ": user.phone")
    eq(user.get("volunteer_id"), None, msg + ": user.volunteer_id")
    eq(user.get("roles"), [], msg + ": user.roles")
    eq(set(user), {"id", "phone", "volunteer_id", "claim_required", "roles"}, msg + ": user keys")


# ================================================================ POST /auth/sms-codes

def test_sms_code_request_is_202_with_expiry_and_resend_delay():
    r = Client().post(SMS, {"phone": new_phone(), "purpose": "login"})
    eq(json_ok(r, 202), {"expires_in": 300, "resend_after": 60}, "202 body")


def test_sms_code_lands_in_outbox_as_six_digits_for_login():
    phone = new_phone()
    status(Client().post(SMS, {"phone": phone, "purpose": "login"}), 202)
    e = outbox_entry(phone)
    ok(re.fullmatch(r"[0-9]{6}", str(e.get("code"))), "code should be 6 digits: %r" % e)
    eq(e.get("purpose"), "login", "outbox purpose")
    ok(e.get("sent_at"), "outbox entry needs sent_at: %r" % e)
    eq(outbox_count(phone), 1, "exactly one message")


def test_sms_purpose_defaults_to_login():
    phone = new_phone()
    status(Client().post(SMS, {"phone": phone}), 202, "without purpose")
    eq(outbox_entry(phone).get("purpose"), "login", "default purpose")


def test_malformed_phone_is_422_invalid_format_naming_phone():
    c = Client()
    for bad in ("12812345678", "10812345678", "1381234567", "138123456789", "+8613812345678",
                "1381234567a", "138-1234-5678", "１３８１２３４５６７８"):
        field_errors(c.post(SMS, {"phone": bad}), ("phone", "invalid_format"))


def test_phone_as_json_number_is_422_invalid_type():
    field_errors(Client().post(SMS, {"phone": 13812345678}), ("phone", "invalid_type"))
    field_errors(Client().post(SMS, {"phone": ["13812345678"]}), ("phone", "invalid_type"))


def test_missing_phone_is_422_required():
    field_errors(Client().post(SMS, {"purpose": "login"}), ("phone", "required"))
    field_errors(Client().post(SMS, {}), ("phone", "required"))


def test_purpose_reset_is_422_invalid_choice():
    phone = new_phone()
    field_errors(Client().post(SMS, {"phone": phone, "purpose": "reset"}), ("purpose", "invalid_choice"))
    eq(outbox_count(phone), 0, "no SMS for a refused request")


def test_unknown_field_is_422_unknown_field():
    phone = new_phone()
    body = field_errors(Client().post(SMS, {"phone": phone, "role": "platform_admin"}), ("role", "unknown_field"))
    ok(all(e["field"] != "phone" for e in body["errors"]), "phone is fine and must not be reported: %r" % body)
    eq(outbox_count(phone), 0, "no SMS for a refused request")


def test_every_bad_field_is_reported_at_once():
    r = Client().post(SMS, {"phone": 13812345678, "purpose": "reset", "admin": True})
    field_errors(r, ("phone", "invalid_type"), ("purpose", "invalid_choice"), ("admin", "unknown_field"))


def test_second_send_within_60s_is_429_with_retry_after():
    c, phone = Client(), new_phone()
    status(c.post(SMS, {"phone": phone}), 202, "first send")
    r = c.post(SMS, {"phone": phone})
    problem(r, 429, "rate_limited", "second send")
    retry_after(r, 1, 60)
    eq(outbox_count(phone), 1, "the refused resend must not send an SMS")
    # The cooldown is per phone, not per client address.
    r = Client().post(SMS, {"phone": phone})
    problem(r, 429, "rate_limited", "second send from another address")


def test_refused_resend_keeps_the_first_code_valid():
    c, phone = Client(), new_phone()
    status(c.post(SMS, {"phone": phone}), 202)
    code = outbox_code(phone)
    problem(c.post(SMS, {"phone": phone}), 429, "rate_limited")
    json_ok(c.post(SESSIONS, {"phone": phone, "code": code}), 200, "first code after refused resend")


def test_eleventh_send_for_a_phone_within_24h_is_429():
    c, phone = Client(), new_phone()
    for i in range(10):
        if i:
            backdate_sends(phone)
        status(c.post(SMS, {"phone": phone}), 202, "send #%d" % (i + 1))
    backdate_sends(phone)
    r = c.post(SMS, {"phone": phone})
    problem(r, 429, "rate_limited", "send #11")
    retry_after(r, 1, 86400)
    eq(outbox_count(phone), 10, "ten messages sent")


def test_thirty_first_send_from_one_address_in_an_hour_is_429_but_other_address_is_served():
    c = Client()
    for i in range(30):
        status(c.post(SMS, {"phone": new_phone()}), 202, "send #%d from %s" % (i + 1, c.addr))
    phone = new_phone()
    r = c.post(SMS, {"phone": phone})
    problem(r, 429, "rate_limited", "send #31 from %s" % c.addr)
    retry_after(r, 1, 3600)
    eq(outbox_count(phone), 0, "no SMS for the refused send")
    status(Client().post(SMS, {"phone": phone}), 202, "same phone from a different address")


def test_send_answer_is_identical_for_phone_with_and_without_account():
    known = login(Client())["phone"]
    backdate_sends(known)
    a = Client().post(SMS, {"phone": known, "purpose": "login"})
    b = Client().post(SMS, {"phone": new_phone(), "purpose": "login"})
    eq((a.status, a.json()), (b.status, b.json()), "answers for existing vs new phone")
    eq(a.content_type, b.content_type, "content types")


def test_sms_code_is_stored_only_as_keyed_hash():
    phone = new_phone()
    code = send_code(Client(), phone)
    rows = psql("SELECT row_to_json(c)::text FROM auth.sms_codes c WHERE phone = %s" % sql_str(phone)).splitlines()
    eq(len(rows), 1, "one sms_codes row for the phone")
    row = json.loads(rows[0])
    ok("code_hash" in row, "sms_codes should have code_hash: %r" % sorted(row))
    h = bytes.fromhex(row["code_hash"][2:])  # bytea as "\\x..."
    ok(len(h) >= 16, "code_hash too short to be a hash: %r" % row["code_hash"])
    ok(code.encode() not in h, "code_hash contains the code in clear")
    unkeyed = set()
    for alg in ("md5", "sha1", "sha256", "sha512"):
        for s in (code, phone + code, code + phone, phone + ":" + code, "login:" + phone + ":" + code):
            unkeyed.add(hashlib.new(alg, s.encode()).digest())
    ok(h not in unkeyed, "code_hash is an unkeyed hash of the code (a 10^6 brute force reverses it)")
    for k, v in row.items():
        if k == "code_hash" or v is None:
            continue
        sv = str(v)
        if re.match(r"\d{4}-\d\d-\d\d[T ]\d\d:", sv):
            continue  # timestamps
        ok(code not in sv, "column %s holds the code in clear: %r" % (k, sv))


# ================================================================ POST /auth/sessions (code)

def test_first_code_login_creates_account_and_returns_token_pair():
    c, phone = Client(), new_phone()
    eq(psql("SELECT count(*) FROM auth.users WHERE phone = %s" % sql_str(phone)), "0", "no account before")
    code = send_code(c, phone)
    body = json_ok(c.post(SESSIONS, {"phone": phone, "code": code}), 200, "code login")
    _check_token_response(body, phone, "code login")
    eq(_user_id(phone), body["user"]["id"], "account row id")


def test_second_code_login_returns_same_user_id():
    c, phone = Client(), new_phone()
    first = login(c, phone)
    second = login(c, phone)
    eq(second["user"]["id"], first["user"]["id"], "user id stable across logins")
    ok(second["refresh_token"] != first["refresh_token"], "each login gets its own refresh token")


def test_wrong_code_is_401_invalid_code():
    c, phone = Client(), new_phone()
    code = send_code(c, phone)
    problem(c.post(SESSIONS, {"phone": phone, "code": _other_code(code)}), 401, "invalid_code")


def test_right_code_still_works_after_four_wrong_tries():
    c, phone = Client(), new_phone()
    code = send_code(c, phone)
    for i in range(4):
        problem(c.post(SESSIONS, {"phone": phone, "code": _other_code(code)}), 401, "invalid_code", "try %d" % (i + 1))
    json_ok(c.post(SESSIONS, {"phone": phone, "code": code}), 200, "right code on try 5")


def test_fifth_wrong_code_burns_code_with_too_many_attempts():
    c, phone = Client(), new_phone()
    code = send_code(c, phone)
    wrong = _other_code(code)
    for i in range(4):
        problem(c.post(SESSIONS, {"phone": phone, "code": wrong}), 401, "invalid_code", "wrong try %d" % (i + 1))
    problem(c.post(SESSIONS, {"phone": phone, "code": wrong}), 401, "too_many_attempts", "wrong try 5")
    problem(c.post(SESSIONS, {"phone": phone, "code": code}), 401, "invalid_code", "right code after burn")


def test_new_code_after_burnt_code_works():
    c, phone = Client(), new_phone()
    code = send_code(c, phone)
    for _ in range(5):
        c.post(SESSIONS, {"phone": phone, "code": _other_code(code)})
    code2 = send_code(c, phone)
    json_ok(c.post(SESSIONS, {"phone": phone, "code": code2}), 200, "fresh code after a burnt one")


def test_code_used_twice_is_401_invalid_code_the_second_time():
    c, phone = Client(), new_phone()
    code = send_code(c, phone)
    json_ok(c.post(SESSIONS, {"phone": phone, "code": code}), 200, "first use")
    problem(c.post(SESSIONS, {"phone": phone, "code": code}), 401, "invalid_code", "second use")


def test_expired_code_is_401_invalid_code():
    c, phone = Client(), new_phone()
    code = send_code(c, phone)
    psql("UPDATE auth.sms_codes SET expires_at = now() - interval '1 second' WHERE phone = %s" % sql_str(phone))
    problem(c.post(SESSIONS, {"phone": phone, "code": code}), 401, "invalid_code")


def test_new_code_replaces_old_code():
    c, phone = Client(), new_phone()
    old = send_code(c, phone)
    new = send_code(c, phone)  # backdates the first send, so this is not refused
    if old != new:
        problem(c.post(SESSIONS, {"phone": phone, "code": old}), 401, "invalid_code", "old code")
    json_ok(c.post(SESSIONS, {"phone": phone, "code": new}), 200, "new code")


def test_code_login_for_phone_that_never_got_a_code_is_401_invalid_code():
    problem(Client().post(SESSIONS, {"phone": new_phone(), "code": "123456"}), 401, "invalid_code")


def test_code_of_one_phone_does_not_log_in_another():
    c, a, b = Client(), new_phone(), new_phone()
    code_a = send_code(c, a)
    code_b = send_code(c, b)
    if code_a != code_b:
        problem(c.post(SESSIONS, {"phone": b, "code": code_a}), 401, "invalid_code")
    json_ok(c.post(SESSIONS, {"phone": a, "code": code_a}), 200, "a's own code")


def test_code_and_password_together_is_422_exclusive():
    r = Client().post(SESSIONS, {"phone": new_phone(), "code": "123456", "password": "secret-password"})
    field_errors(r, ("password", "exclusive"))


def test_neither_code_nor_password_is_422_code_required():
    field_errors(Client().post(SESSIONS, {"phone": new_phone()}), ("code", "required"))


def test_malformed_code_is_422_invalid_format():
    c = Client()
    for bad in ("12345", "1234567", "12345a", "１２３４５６"):
        field_errors(c.post(SESSIONS, {"phone": new_phone(), "code": bad}), ("code", "invalid_format"))
    field_errors(c.post(SESSIONS, {"phone": new_phone(), "code": 123456}), ("code", "invalid_type"))


def test_session_request_validates_phone_and_unknown_fields():
    r = Client().post(SESSIONS, {"phone": "12812345678", "code": "123456", "remember": True})
    field_errors(r, ("phone", "invalid_format"), ("remember", "unknown_field"))
    field_errors(Client().post(SESSIONS, {"code": "123456"}), ("phone", "required"))


# ================================================================ tokens, JWKS

def test_access_token_has_es256_header_and_expected_claims():
    t0 = int(time.time())
    s = login(Client())
    header, claims, sig = jwt_parts(s["access_token"])
    eq(header.get("alg"), "ES256", "header alg")
    eq(header.get("typ"), "JWT", "header typ")
    ok(isinstance(header.get("kid"), str) and header["kid"], "header kid: %r" % header)
    eq(len(sig), 64, "ES256 signature is raw r||s (64 bytes)")
    eq(claims.get("iss"), JWT_ISS, "iss")
    aud = claims.get("aud")
    ok(aud == JWT_AUD or (isinstance(aud, list) and JWT_AUD in aud), "aud should be %r: %r" % (JWT_AUD, aud))
    eq(claims.get("sub"), str(s["user"]["id"]), "sub is the user id as a string")
    ok(isinstance(claims.get("iat"), int) and abs(claims["iat"] - t0) <= 60, "iat should be now: %r" % claims)
    eq(claims.get("exp"), claims["iat"] + 900, "exp = iat + 900")
    eq(claims.get("token_use"), "access", "token_use")
    ok(claims.get("sid") not in (None, ""), "sid claim: %r" % claims)
    ok(claims.get("jti") not in (None, ""), "jti claim: %r" % claims)


def test_access_token_ids_are_unique_per_login():
    c, phone = Client(), new_phone()
    a, b = login(c, phone), login(c, phone)
    ca, cb = jwt_parts(a["access_token"])[1], jwt_parts(b["access_token"])[1]
    ok(ca["jti"] != cb["jti"], "jti should differ between tokens")
    ok(ca["sid"] != cb["sid"], "each login is its own session (sid)")


def _jwks():
    body = json_ok(Client().get("/auth/jwks.json"), 200, "jwks")
    ok(isinstance(body.get("keys"), list) and body["keys"], "jwks keys: %r" % body)
    return body["keys"]


def _jwk_for(token):
    kid = jwt_parts(token)[0]["kid"]
    keys = [k for k in _jwks() if k.get("kid") == kid]
    eq(len(keys), 1, "exactly one JWK with the token's kid %r" % kid)
    return keys[0]


def test_jwks_publishes_p256_signing_key_matching_token_kid():
    k = _jwk_for(login(Client())["access_token"])
    eq(k.get("kty"), "EC", "kty")
    eq(k.get("crv"), "P-256", "crv")
    eq(k.get("use"), "sig", "use")
    eq(k.get("alg"), "ES256", "alg")
    for coord in ("x", "y"):
        v = k.get(coord)
        ok(isinstance(v, str) and "=" not in v, "%s should be unpadded base64url: %r" % (coord, v))
        eq(len(b64u_decode(v)), 32, "%s length" % coord)
    for key in _jwks():
        ok("d" not in key, "JWKS must never publish the private key (d): %r" % key)


def test_access_token_signature_verifies_with_jwks_key():
    tok = login(Client())["access_token"]
    k = _jwk_for(tok)
    h, p, s = tok.split(".")
    ok(es256_verify(b64u_decode(k["x"]), b64u_decode(k["y"]), (h + "." + p).encode(), b64u_decode(s)),
       "token signature does not verify with the published JWK")


def test_jwks_key_is_the_public_half_of_the_signing_key():
    ok(JWT_KEY, "STVS_TEST_JWT_PRIVATE_KEY not set")
    k = _jwk_for(login(Client())["access_token"])
    eq((b64u_decode(k["x"]), b64u_decode(k["y"])), public_xy(JWT_KEY), "JWK x, y vs the private key")


# ================================================================ refresh

def test_refresh_returns_a_new_pair_for_the_same_session():
    c = Client()
    s = login(c)
    body = json_ok(refresh(c, s["refresh_token"]), 200, "refresh")
    ok(isinstance(body.get("access_token"), str) and isinstance(body.get("refresh_token"), str),
       "refresh returns a pair: %r" % body)
    ok(body["refresh_token"] != s["refresh_token"], "refresh token must rotate")
    eq(body.get("token_type"), "Bearer", "token_type")
    eq(body.get("expires_in"), 900, "expires_in")
    old, new = jwt_parts(s["access_token"])[1], jwt_parts(body["access_token"])[1]
    eq(new["sub"], old["sub"], "same user")
    eq(new["sid"], old["sid"], "same session")
    ok(new["jti"] != old["jti"], "new jti")
    eq(json_ok(me(c, body["access_token"]), 200, "me with refreshed token")["id"], s["user"]["id"], "me id")


def test_rotated_refresh_token_is_401():
    c = Client()
    s = login(c)
    json_ok(refresh(c, s["refresh_token"]), 200, "first refresh")
    problem(refresh(c, s["refresh_token"]), 401, "unauthorized", "rotated token")


def test_reusing_rotated_refresh_token_revokes_the_whole_family():
    c = Client()
    s = login(c)
    r2 = json_ok(refresh(c, s["refresh_token"]), 200, "first refresh")["refresh_token"]
    problem(refresh(c, s["refresh_token"]), 401, "unauthorized", "reuse of rotated token")
    problem(refresh(c, r2), 401, "unauthorized", "newest token of the family after reuse")


def test_family_revocation_leaves_other_sessions_alone():
    c, phone = Client(), new_phone()
    a, b = login(c, phone), login(c, phone)
    json_ok(refresh(c, a["refresh_token"]), 200)
    problem(refresh(c, a["refresh_token"]), 401, "unauthorized", "reuse")
    json_ok(refresh(c, b["refresh_token"]), 200, "other session of the same user")


def test_expired_refresh_token_is_401():
    c = Client()
    s = login(c)
    psql("UPDATE auth.refresh_tokens SET expires_at = now() - interval '1 second' WHERE session_id IN "
         "(SELECT id FROM auth.sessions WHERE user_id = %d)" % s["user"]["id"])
    problem(refresh(c, s["refresh_token"]), 401, "unauthorized")


def test_unknown_refresh_tokens_are_401():
    c = Client()
    real = login(c)["refresh_token"]
    altered = real[:-1] + ("A" if real[-1] != "A" else "B")
    for bad in ("x", "A" * 43, "not-a-token-at-all", altered, real.upper() if real.upper() != real else real.lower()):
        problem(refresh(c, bad), 401, "unauthorized", "refresh_token %r" % bad[:20])
    json_ok(refresh(c, real), 200, "the real token still works after the failed guesses")


def test_refresh_request_is_validated():
    c = Client()
    field_errors(c.post("/auth/tokens/refresh", {}), ("refresh_token", "required"))
    field_errors(c.post("/auth/tokens/refresh", {"refresh_token": 5}), ("refresh_token", "invalid_type"))
    field_errors(c.post("/auth/tokens/refresh", {"refresh_token": "x", "sub": "1"}), ("sub", "unknown_field"))


def test_refresh_token_is_stored_only_as_hash():
    c = Client()
    s = login(c)
    tok = s["refresh_token"]
    rows = psql("SELECT row_to_json(t)::text FROM auth.refresh_tokens t JOIN auth.sessions s ON s.id = t.session_id "
                "WHERE s.user_id = %d" % s["user"]["id"]).splitlines()
    eq(len(rows), 1, "one refresh token row after one login")
    text = rows[0]
    ok(tok not in text, "refresh token stored in clear")
    forms = [tok.encode()]
    try:
        forms.append(b64u_decode(tok))
    except ValueError:
        pass
    row = json.loads(text)
    ok("token_hash" in row, "refresh_tokens should have token_hash: %r" % sorted(row))
    h = bytes.fromhex(row["token_hash"][2:])
    for f in forms:
        ok(f.hex() not in text and f not in h, "refresh token stored in clear (raw bytes)")


# ================================================================ logout

def test_logout_is_204_and_kills_its_refresh_token():
    c = Client()
    s = login(c)
    r = c.delete("/auth/sessions/current", token=s["access_token"])
    status(r, 204, "logout")
    eq(r.body, b"", "204 has no body")
    problem(refresh(c, s["refresh_token"]), 401, "unauthorized", "refresh after logout")


def test_logout_after_refresh_kills_the_rotated_refresh_token():
    c = Client()
    s = login(c)
    n = json_ok(refresh(c, s["refresh_token"]), 200)
    status(c.delete("/auth/sessions/current", token=n["access_token"]), 204, "logout")
    problem(refresh(c, n["refresh_token"]), 401, "unauthorized", "refresh after logout")


def test_logout_leaves_other_sessions_alone():
    c, phone = Client(), new_phone()
    a, b = login(c, phone), login(c, phone)
    status(c.delete("/auth/sessions/current", token=a["access_token"]), 204)
    json_ok(refresh(c, b["refresh_token"]), 200, "other session still refreshes")


def test_logout_without_token_is_401_with_www_authenticate():
    r = Client().delete("/auth/sessions/current")
    problem(r, 401, "unauthorized")
    ok(r.header("WWW-Authenticate", "").lower().startswith("bearer"), "WWW-Authenticate: Bearer expected: %s" % r)


# ================================================================ /me

def test_me_returns_the_callers_profile():
    c = Client()
    s = login(c)
    body = json_ok(me(c, s["access_token"]), 200, "me")
    eq(body, {"id": s["user"]["id"], "phone": s["phone"], "volunteer_id": None, "claim_required": False, "roles": []},
       "me body")


def test_me_without_token_is_401_with_www_authenticate():
    r = Client().get("/auth/me")
    problem(r, 401, "unauthorized")
    ok(r.header("WWW-Authenticate", "").lower().startswith("bearer"), "WWW-Authenticate: Bearer expected: %s" % r)


def test_me_with_refresh_token_as_bearer_is_401():
    c = Client()
    problem(me(c, login(c)["refresh_token"]), 401, "unauthorized")


def test_me_shows_platform_admin_role_granted_in_db():
    c = Client()
    s = login(c)
    psql("INSERT INTO auth.platform_admins(user_id, region_code) VALUES (%d, '410000')" % s["user"]["id"])
    body = json_ok(me(c, s["access_token"]), 200, "me")
    ok({"role": "platform_admin", "region_code": "410000"} in body["roles"],
       "roles should contain the platform_admin grant: %r" % body["roles"])


# ================================================================ password

PASSWORD = "Correct-Horse-9"


def _set_password(c, token, pw=PASSWORD):
    return c.put("/auth/password", {"password": pw}, token=token)


def test_password_of_seven_chars_is_422_too_short():
    c = Client()
    field_errors(_set_password(c, login(c)["access_token"], "1234567"), ("password", "too_short"))


def test_password_length_is_counted_in_characters_not_bytes():
    c = Client()
    tok = login(c)["access_token"]
    field_errors(_set_password(c, tok, "密码密码密码密"), ("password", "too_short"))  # 7 chars, 21 bytes
    status(_set_password(c, tok, "密码密码密码密码"), 204, "8 Chinese characters")


def test_password_request_is_validated():
    c = Client()
    tok = login(c)["access_token"]
    field_errors(c.put("/auth/password", {}, token=tok), ("password", "required"))
    field_errors(c.put("/auth/password", {"password": 12345678}, token=tok), ("password", "invalid_type"))
    field_errors(c.put("/auth/password", {"password": PASSWORD, "user_id": 1}, token=tok), ("user_id", "unknown_field"))


def test_set_password_without_token_is_401():
    problem(Client().put("/auth/password", {"password": PASSWORD}), 401, "unauthorized")


def test_set_password_then_password_login_works():
    c = Client()
    s = login(c)
    r = _set_password(c, s["access_token"], "12345678")  # exactly 8
    status(r, 204, "set 8-char password")
    eq(r.body, b"", "204 has no body")
    body = json_ok(c.post(SESSIONS, {"phone": s["phone"], "password": "12345678"}), 200, "password login")
    _check_token_response(body, s["phone"], "password login")
    eq(body["user"]["id"], s["user"]["id"], "same user")


def test_wrong_password_is_401_unauthorized():
    c = Client()
    s = login(c)
    status(_set_password(c, s["access_token"]), 204)
    problem(c.post(SESSIONS, {"phone": s["phone"], "password": PASSWORD + "x"}), 401, "unauthorized")


def test_password_login_without_password_or_account_is_401_unauthorized():
    c = Client()
    problem(c.post(SESSIONS, {"phone": new_phone(), "password": PASSWORD}), 401, "unauthorized", "no account")
    s = login(c)
    problem(c.post(SESSIONS, {"phone": s["phone"], "password": PASSWORD}), 401, "unauthorized", "no password set")


def test_sixth_password_attempt_after_five_wrong_is_429_even_if_correct():
    c = Client()
    s = login(c)
    status(_set_password(c, s["access_token"]), 204)
    for i in range(5):
        problem(c.post(SESSIONS, {"phone": s["phone"], "password": "wrong-%d-password" % i}), 401,
                "unauthorized", "wrong password #%d" % (i + 1))
    r = c.post(SESSIONS, {"phone": s["phone"], "password": PASSWORD})
    problem(r, 429, "rate_limited", "6th attempt with the right password")
    retry_after(r, 1)
    r = Client().post(SESSIONS, {"phone": s["phone"], "password": PASSWORD})
    problem(r, 429, "rate_limited", "the lock is per account, not per address")


def test_successful_password_login_resets_the_failure_count():
    c = Client()
    s = login(c)
    status(_set_password(c, s["access_token"]), 204)
    for _ in range(2):
        for i in range(4):
            problem(c.post(SESSIONS, {"phone": s["phone"], "password": "nope-%d-password" % i}), 401, "unauthorized")
        json_ok(c.post(SESSIONS, {"phone": s["phone"], "password": PASSWORD}), 200, "right password after 4 wrong")


def test_setting_password_revokes_other_sessions_but_not_current():
    c, phone = Client(), new_phone()
    a, b = login(c, phone), login(c, phone)
    status(_set_password(c, a["access_token"]), 204)
    problem(refresh(c, b["refresh_token"]), 401, "unauthorized", "other session's refresh after password change")
    json_ok(me(c, a["access_token"]), 200, "current access token")
    json_ok(refresh(c, a["refresh_token"]), 200, "current session's refresh")


def test_password_is_stored_as_salted_hash():
    c = Client()
    ids = []
    for _ in range(2):
        s = login(c)
        status(_set_password(c, s["access_token"]), 204)
        ids.append(s["user"]["id"])
    hashes = psql("SELECT password_hash FROM auth.users WHERE id IN (%d, %d) ORDER BY id" % tuple(ids)).splitlines()
    eq(len(hashes), 2, "two password hashes")
    for h in hashes:
        ok(PASSWORD not in h, "password stored in clear")
        ok(h not in {hashlib.sha256(PASSWORD.encode()).hexdigest(), hashlib.md5(PASSWORD.encode()).hexdigest()},
           "password stored as an unsalted fast hash")
    ok(hashes[0] != hashes[1], "same password, same hash: not salted")


def test_code_login_still_works_after_password_is_set():
    c = Client()
    s = login(c)
    status(_set_password(c, s["access_token"]), 204)
    eq(login(c, s["phone"])["user"]["id"], s["user"]["id"], "code login after password set")
