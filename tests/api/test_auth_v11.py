"""Auth, contract v1.1 (API.md, Auth; issue 9 items 3-5): password lockout that
does not tell known from unknown phones, reauthentication before a password is
set or replaced, and the per-address login limit that answers before any hash."""

import time

from harness import (Client, JWT_ISS, JWT_AUD, eq, ok, status, json_ok, problem, retry_after, new_phone, psql,
                     sql_str, send_code, login, refresh, me, jwt_parts, forge, good_claims)

SESSIONS = "/auth/sessions"
PASSWORD = "/auth/password"
PW = "Correct-Horse-11"

# Headers that differ on every answer by design; everything else must match.
VOLATILE = {"date", "x-request-id"}


def _account_with_password(pw=PW):
    """A fresh account with a password set (from its fresh code login); returns its login body."""
    c = Client()
    s = login(c)
    status(c.put(PASSWORD, {"password": pw}, token=s["access_token"]), 204, "set the first password")
    return s


def _headers(resp):
    return {k.lower(): v for k, v in resp.headers.items() if k.lower() not in VOLATILE}


def _same_answer(a, b, what):
    """Byte-identical answers: status, body bytes, and every header but Date and
    X-Request-Id (Retry-After may differ by the second that passed between them)."""
    eq(a.status, b.status, what + ": status")
    eq(a.body, b.body, what + ": body bytes")
    ha, hb = _headers(a), _headers(b)
    ra, rb = ha.pop("retry-after", None), hb.pop("retry-after", None)
    eq(ha, hb, what + ": headers")
    eq(ra is None, rb is None, what + ": Retry-After present in both or neither")
    if ra is not None:
        ok(abs(int(ra) - int(rb)) <= 1, "%s: Retry-After %s vs %s" % (what, ra, rb))


def _sid(token):
    return int(jwt_parts(token)[1]["sid"])


def _age_session(token, minutes=11):
    """Move the login time of the token's session back (the session row is the only source of it)."""
    psql("UPDATE auth.sessions SET created_at = created_at - interval '%d minutes' WHERE id = %d"
         % (minutes, _sid(token)))


def _password_login(phone, pw, client=None):
    return (client or Client()).post(SESSIONS, {"phone": phone, "password": pw})


# ================================================================ item 3: lockout per phone

def test_password_lockout_answers_known_and_unknown_phones_byte_identically():
    with_pw = _account_with_password()["phone"]
    without_pw = login(Client())["phone"]          # an account, no password
    unknown = new_phone()                          # no account at all
    phones = [with_pw, without_pw, unknown]
    for i in range(5):
        answers = [_password_login(p, "wrong-password-%d" % i) for p in phones]
        problem(answers[0], 401, "unauthorized", "wrong password #%d for the known phone" % (i + 1))
        for a, name in zip(answers[1:], ("account without password", "unknown phone")):
            _same_answer(answers[0], a, "wrong password #%d, known phone vs %s" % (i + 1, name))
    answers = [_password_login(p, PW) for p in phones]
    problem(answers[0], 429, "rate_limited", "6th attempt for the known phone, right password")
    retry_after(answers[0], 890, 900)
    for a, name in zip(answers[1:], ("account without password", "unknown phone")):
        _same_answer(answers[0], a, "6th attempt, known phone vs %s" % name)


def test_unknown_phone_is_counted_per_phone_from_any_address():
    phone = new_phone()
    for i in range(5):
        problem(_password_login(phone, "nope-%d-password" % i), 401, "unauthorized", "attempt #%d" % (i + 1))
    r = _password_login(phone, "nope-again-password")
    problem(r, 429, "rate_limited", "6th attempt for a phone without account, from a 6th address")
    retry_after(r, 890, 900)


def test_locked_phone_can_still_log_in_with_a_code_and_set_a_new_password():
    s = _account_with_password()
    for i in range(5):
        problem(_password_login(s["phone"], "wrong-%d-password" % i), 401, "unauthorized")
    problem(_password_login(s["phone"], PW), 429, "rate_limited", "locked")
    c = Client()
    fresh = login(c, s["phone"])
    status(c.put(PASSWORD, {"password": "a brand new password"}, token=fresh["access_token"]), 204,
           "a fresh code login sets a new password while the phone is locked (forgotten password)")
    json_ok(_password_login(s["phone"], "a brand new password"), 200, "the new password ends the lock")


# ================================================================ item 4: reauthentication

def test_password_change_with_access_token_of_old_sms_login_is_403_reauthentication_required():
    s = _account_with_password()
    c = Client()
    _age_session(s["access_token"])
    r = c.put(PASSWORD, {"password": "attacker-chosen-pw"}, token=s["access_token"])
    body = problem(r, 403, "reauthentication_required", "replace without current_password, old SMS login")
    eq(body["title"], "Reauthentication required", "title")
    json_ok(_password_login(s["phone"], PW), 200, "the old password still works")
    problem(_password_login(s["phone"], "attacker-chosen-pw"), 401, "unauthorized", "the new one was not set")


def test_first_password_with_access_token_of_old_sms_login_is_403_reauthentication_required():
    c = Client()
    s = login(c)
    _age_session(s["access_token"])
    problem(c.put(PASSWORD, {"password": "attacker-chosen-pw"}, token=s["access_token"]), 403,
            "reauthentication_required", "first password, SMS login 11 minutes ago")
    eq(psql("SELECT password_hash IS NULL FROM auth.users WHERE id = %d" % s["user"]["id"]), "t", "no password set")


def test_sms_login_of_nine_minutes_ago_may_still_set_password():
    c = Client()
    s = login(c)
    _age_session(s["access_token"], 9)
    status(c.put(PASSWORD, {"password": PW}, token=s["access_token"]), 204, "SMS login 9 minutes ago")


def test_password_login_session_cannot_set_password_without_current_password():
    s = _account_with_password()
    c = Client()
    pw_session = json_ok(_password_login(s["phone"], PW, c), 200, "password login")
    problem(c.put(PASSWORD, {"password": "attacker-chosen-pw"}, token=pw_session["access_token"]), 403,
            "reauthentication_required", "fresh password-login session, no current_password")
    json_ok(_password_login(s["phone"], PW), 200, "the old password still works")


def test_wrong_current_password_is_401_invalid_password_and_right_one_changes_it():
    s = _account_with_password()
    c = Client()
    tok = json_ok(_password_login(s["phone"], PW, c), 200, "password login")["access_token"]
    r = c.put(PASSWORD, {"password": "the next password", "current_password": PW + "x"}, token=tok)
    body = problem(r, 401, "invalid_password", "wrong current_password")
    eq(body["title"], "Invalid password", "title")
    eq(r.header("WWW-Authenticate"), "Bearer", "401 carries WWW-Authenticate")
    json_ok(_password_login(s["phone"], PW), 200, "the password is unchanged after a wrong current_password")
    r = c.put(PASSWORD, {"password": "the next password", "current_password": PW}, token=tok)
    status(r, 204, "right current_password")
    eq(r.body, b"", "204 has no body")
    problem(_password_login(s["phone"], PW), 401, "unauthorized", "the old password no longer works")
    json_ok(_password_login(s["phone"], "the next password"), 200, "the new password works")


def test_current_password_also_works_with_old_sms_login():
    s = _account_with_password()
    c = Client()
    _age_session(s["access_token"])
    status(c.put(PASSWORD, {"password": "the next password", "current_password": PW}, token=s["access_token"]),
           204, "old SMS session plus the right current_password")
    json_ok(_password_login(s["phone"], "the next password"), 200, "the new password works")


def test_wrong_current_passwords_count_toward_the_phone_lock():
    s = _account_with_password()
    c = Client()
    tok = json_ok(_password_login(s["phone"], PW, c), 200, "password login")["access_token"]
    for i in range(5):
        problem(c.put(PASSWORD, {"password": "the next password", "current_password": "guess-%d-pw" % i},
                      token=tok), 401, "invalid_password", "guess #%d" % (i + 1))
    r = c.put(PASSWORD, {"password": "the next password", "current_password": PW}, token=tok)
    problem(r, 429, "rate_limited", "6th try, even the right current_password")
    retry_after(r, 890, 900)
    problem(_password_login(s["phone"], PW), 429, "rate_limited", "password logins of the phone are locked too")


def test_refreshed_token_of_fresh_sms_login_may_set_password():
    c = Client()
    s = login(c)
    pair = json_ok(refresh(c, s["refresh_token"]), 200, "refresh")
    eq(_sid(pair["access_token"]), _sid(s["access_token"]), "the refreshed token keeps its session")
    status(c.put(PASSWORD, {"password": PW}, token=pair["access_token"]), 204, "refreshed token, fresh SMS login")
    json_ok(_password_login(s["phone"], PW), 200, "the password works")


def test_refreshed_token_keeps_the_login_time_of_its_sms_login():
    c = Client()
    s = login(c)
    _age_session(s["access_token"])
    pair = json_ok(refresh(c, s["refresh_token"]), 200, "refresh of an 11-minute-old SMS session")
    problem(c.put(PASSWORD, {"password": PW}, token=pair["access_token"]), 403, "reauthentication_required",
            "a refresh does not make the session a fresh login")


def test_signed_token_claiming_a_fresh_sms_login_does_not_replace_the_session_login_time():
    s = _account_with_password()
    _age_session(s["access_token"])
    now = int(time.time())
    claims = dict(good_claims(s["access_token"]), auth_time=now, amr=["sms"], login_method="code", iat=now)
    eq((claims["iss"], claims["aud"]), (JWT_ISS, JWT_AUD), "claims")
    tok = forge({"alg": "ES256", "typ": "JWT", "kid": jwt_parts(s["access_token"])[0]["kid"]}, claims)
    c = Client()
    json_ok(me(c, tok), 200, "the re-signed token is valid")
    problem(c.put(PASSWORD, {"password": "attacker-chosen-pw"}, token=tok), 403, "reauthentication_required",
            "login time claims in the token are not what counts")


def test_ended_session_cannot_set_password():
    c = Client()
    s = login(c)
    status(c.delete("/auth/sessions/current", token=s["access_token"]), 204, "log out")
    problem(c.put(PASSWORD, {"password": PW}, token=s["access_token"]), 401, "unauthorized",
            "the access token of an ended session")
    eq(psql("SELECT password_hash IS NULL FROM auth.users WHERE id = %d" % s["user"]["id"]), "t", "no password set")


def test_current_password_is_validated():
    c = Client()
    tok = login(c)["access_token"]
    r = c.put(PASSWORD, {"password": PW, "current_password": 12345678}, token=tok)
    body = problem(r, 422, "validation_failed")
    ok(("current_password", "invalid_type") in [(e["field"], e["code"]) for e in body["errors"]], "%r" % body)
    r = c.put(PASSWORD, {"password": PW, "current_password": ""}, token=tok)
    body = problem(r, 422, "validation_failed")
    ok(("current_password", "too_short") in [(e["field"], e["code"]) for e in body["errors"]], "%r" % body)


# ================================================================ item 5: per-address login limit

def _attempt_rows(phone):
    return psql("SELECT count(*) FROM auth.password_attempts WHERE phone = %s" % sql_str(phone))


def _sessions_of(user_id):
    return int(psql("SELECT count(*) FROM auth.sessions WHERE user_id = %d" % user_id))


def test_thirty_first_login_from_one_address_in_a_minute_is_429_before_any_hash():
    s = _account_with_password()
    uid = s["user"]["id"]
    code_phone = new_phone()
    code = send_code(Client(), code_phone)            # a live code, asked from another address
    flood = Client()
    for i in range(30):                                  # password and code logins count together
        if i % 2:
            r = flood.post(SESSIONS, {"phone": new_phone(), "password": "wrong-password"})
            problem(r, 401, "unauthorized", "password login #%d from %s" % (i + 1, flood.addr))
        else:
            r = flood.post(SESSIONS, {"phone": new_phone(), "code": "123456"})
            problem(r, 401, "invalid_code", "code login #%d from %s" % (i + 1, flood.addr))
    sessions_before = _sessions_of(uid)

    r = flood.post(SESSIONS, {"phone": s["phone"], "password": PW})
    problem(r, 429, "rate_limited", "31st: a password login with the right password")
    eq(r.json()["detail"], "too many logins from this address; see Retry-After", "detail")
    retry_after(r, 1, 60)
    eq(_sessions_of(uid), sessions_before, "the refused login started no session")

    r = flood.post(SESSIONS, {"phone": s["phone"], "password": "a wrong password"})
    problem(r, 429, "rate_limited", "32nd: a wrong password")
    eq(_attempt_rows(s["phone"]), "0", "the refused wrong password never reached the phone's counter (no hash)")

    r = flood.post(SESSIONS, {"phone": code_phone, "code": code})
    problem(r, 429, "rate_limited", "33rd: a code login with the right code")
    retry_after(r, 1, 60)
    eq(psql("SELECT attempts || ' ' || (used_at IS NULL) FROM auth.sms_codes WHERE phone = %s"
            % sql_str(code_phone)), "0 true", "the refused code login never looked at the code")

    # Other addresses are served, and the code refused above still works there.
    json_ok(Client().post(SESSIONS, {"phone": code_phone, "code": code}), 200, "the same code from another address")
    json_ok(_password_login(s["phone"], PW), 200, "the same password login from another address")


def test_login_limit_refusals_answer_fast():
    flood = Client()
    for i in range(30):
        problem(flood.post(SESSIONS, {"phone": new_phone(), "password": "wrong-password"}), 401, "unauthorized",
                "password login #%d" % (i + 1))
    times = []
    for i in range(20):
        t0 = time.monotonic()
        problem(flood.post(SESSIONS, {"phone": new_phone(), "password": "wrong-password"}), 429, "rate_limited",
                "refused #%d" % (i + 1))
        times.append(time.monotonic() - t0)
    times.sort()
    # an argon2id verify (19 MiB, 2 passes) takes tens of ms; the refusals skip it
    ok(times[len(times) // 2] < 0.5, "median refusal took %.3f s" % times[len(times) // 2])


def test_validation_errors_do_not_count_toward_the_login_limit():
    c = Client()
    for i in range(31):
        problem(c.post(SESSIONS, {"phone": "12345"}), 422, "validation_failed", "invalid body #%d" % (i + 1))
    problem(c.post(SESSIONS, {"phone": new_phone(), "password": "wrong-password"}), 401, "unauthorized",
            "the first real login from the address")


# ================================================================ item 1 (auth): registered vs unregistered

def test_wrong_code_answers_are_identical_for_phone_with_and_without_account():
    known = login(Client())["phone"]
    unknown = new_phone()
    codes = {p: send_code(Client(), p) for p in (known, unknown)}
    for i in range(5):
        answers = [Client().post(SESSIONS, {"phone": p, "code": "%06d" % ((int(codes[p]) + 1 + i) % 1000000)})
                   for p in (known, unknown)]
        _same_answer(answers[0], answers[1], "wrong code #%d, known vs unknown phone" % (i + 1))
    eq(answers[0].json()["code"], "too_many_attempts", "5th wrong code")


def test_code_login_without_a_code_answers_identically_for_phone_with_and_without_account():
    known = login(Client())["phone"]
    a = Client().post(SESSIONS, {"phone": known, "code": "123456"})
    b = Client().post(SESSIONS, {"phone": new_phone(), "code": "123456"})
    problem(a, 401, "invalid_code")
    _same_answer(a, b, "used code of a known phone vs no code of an unknown phone")
