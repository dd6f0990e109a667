/* Unit tests for common/crypto.c: base64url (RFC 4648 section 5, no padding,
 * strict decoding), hex, random digits, constant-time compare, SHA-256 and
 * HMAC-SHA256 (RFC 4231 test cases 1 and 2), sub-key derivation, and
 * AES-256-GCM sealing (crypto_seal/crypto_open). */
#include "check.h"
#include "crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static bool hex_is(const unsigned char *b, size_t n, const char *want)
{
    char buf[129];
    if (2 * n + 1 > sizeof buf)
        return false;
    hex_encode(b, n, buf);
    return !strcmp(buf, want);
}

/* ------------------------------------------------------------------ */
/* base64url */

static void test_b64url_vectors(void)
{
    /* RFC 4648 section 10 vectors (no padding), plus bytes that use '-' and '_'. */
    static const struct {
        const char *name;
        const char *in;
        size_t n;
        const char *out;
    } v[] = {
        {"b64url \"\" -> \"\"", "", 0, ""},
        {"b64url \"f\" -> \"Zg\"", "f", 1, "Zg"},
        {"b64url \"fo\" -> \"Zm8\"", "fo", 2, "Zm8"},
        {"b64url \"foo\" -> \"Zm9v\"", "foo", 3, "Zm9v"},
        {"b64url \"foob\" -> \"Zm9vYg\"", "foob", 4, "Zm9vYg"},
        {"b64url \"fooba\" -> \"Zm9vYmE\"", "fooba", 5, "Zm9vYmE"},
        {"b64url \"foobar\" -> \"Zm9vYmFy\"", "foobar", 6, "Zm9vYmFy"},
        {"b64url FB FF uses '-' and '_'", "\xfb\xff", 2, "-_8"},
        {"b64url FF FF FF is \"____\"", "\xff\xff\xff", 3, "____"},
        {"b64url F8 is \"-A\"", "\xf8", 1, "-A"},
        {"b64url 00 00 is \"AAA\"", "\x00\x00", 2, "AAA"},
    };
    for (size_t i = 0; i < NELEM(v); i++) {
        char out[32];
        unsigned char back[32];
        size_t n = b64url_encode((const unsigned char *)v[i].in, v[i].n, out, sizeof out);
        long m = b64url_decode(v[i].out, strlen(v[i].out), back, sizeof back);
        CHECK(v[i].name, n == strlen(v[i].out) && !strcmp(out, v[i].out) && m == (long)v[i].n &&
                             !memcmp(back, v[i].in, v[i].n));
    }
}

static void test_b64url_round_trip(void)
{
    bool ok = true;
    unsigned char in[200], back[200];
    char enc[300];
    for (size_t n = 0; n <= 150 && ok; n++) {
        for (int rep = 0; rep < 8 && ok; rep++) {
            if (crypto_random(in, n) != 0) {
                ok = false;
                break;
            }
            size_t e = b64url_encode(in, n, enc, sizeof enc);
            size_t want = (4 * n + 2) / 3;
            long d = b64url_decode(enc, e, back, sizeof back);
            ok = e == want && strlen(enc) == e && strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                              "0123456789-_") == e &&
                 d == (long)n && !memcmp(in, back, n);
        }
    }
    CHECK("b64url round trip of random data, lengths 0..150, unpadded length ceil(4n/3)", ok);

    /* All 256 byte values in every position class. */
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    char enc2[400];
    unsigned char back2[256];
    size_t e = b64url_encode(all, 256, enc2, sizeof enc2);
    CHECK("b64url round trip of all 256 byte values",
          e && b64url_decode(enc2, e, back2, sizeof back2) == 256 && !memcmp(all, back2, 256));
}

static void test_b64url_strict(void)
{
    static const struct {
        const char *name, *in;
    } bad[] = {
        {"b64url_decode rejects '=' padding (\"Zg==\")", "Zg=="},
        {"b64url_decode rejects one '=' (\"Zm8=\")", "Zm8="},
        {"b64url_decode rejects '=' alone", "="},
        {"b64url_decode rejects '=' in the middle", "Zm=9"},
        {"b64url_decode rejects '+' (standard alphabet)", "-+8A"},
        {"b64url_decode rejects '/' (standard alphabet)", "_/8A"},
        {"b64url_decode rejects a space", "Zm9 v"},
        {"b64url_decode rejects a newline", "Zm9v\n"},
        {"b64url_decode rejects '.'", "Zm.v"},
        {"b64url_decode rejects a non-ASCII byte", "Zm9\xc3\xa9"},
        {"b64url_decode rejects length%4==1 (\"Z\")", "Z"},
        {"b64url_decode rejects length%4==1 (\"Zm9vY\")", "Zm9vY"},
        {"b64url_decode rejects non-zero trailing bits (\"Zh\")", "Zh"},
        {"b64url_decode rejects non-zero trailing bits (\"Zm9\")", "Zm9"},
        {"b64url_decode rejects non-zero trailing bits (\"-_9\")", "-_9"},
        {"b64url_decode rejects non-zero trailing bits (\"__\")", "__"},
    };
    for (size_t i = 0; i < NELEM(bad); i++) {
        unsigned char out[32];
        CHECK(bad[i].name, b64url_decode(bad[i].in, strlen(bad[i].in), out, sizeof out) == -1);
    }

    unsigned char out[8];
    CHECK("b64url_decode of \"\" is 0 bytes", b64url_decode("", 0, out, sizeof out) == 0);
    CHECK("b64url_decode decodes only n characters", b64url_decode("Zm9v!!!!", 4, out, sizeof out) == 3 &&
                                                          !memcmp(out, "foo", 3));
    CHECK("b64url_decode stops at n, so a NUL inside n is rejected",
          b64url_decode("Zm\0v", 4, out, sizeof out) == -1);
    CHECK("b64url_decode refuses an output buffer one byte too small",
          b64url_decode("Zm9vYmFy", 8, out, 5) == -1);
    CHECK("b64url_decode fits an exact output buffer", b64url_decode("Zm9vYmFy", 8, out, 6) == 6);
    CHECK("b64url_decode of \"Zg\" needs only 1 byte", b64url_decode("Zg", 2, out, 1) == 1 && out[0] == 'f');

    /* Exactly sized heap input: no read past n. */
    char *exact = malloc(4);
    memcpy(exact, "Zm9v", 4);
    CHECK("b64url_decode reads no further than n", b64url_decode(exact, 4, out, sizeof out) == 3);
    free(exact);

    char enc[8];
    memset(enc, '#', sizeof enc);
    CHECK("b64url_encode refuses a buffer without room for the NUL",
          b64url_encode((const unsigned char *)"foo", 3, enc, 4) == 0);
    CHECK("b64url_encode writes nothing past outlen when refusing", enc[4] == '#');
    CHECK("b64url_encode fits 4 characters + NUL in 5 bytes",
          b64url_encode((const unsigned char *)"foo", 3, enc, 5) == 4 && !strcmp(enc, "Zm9v"));
}

/* ------------------------------------------------------------------ */
/* hex */

static void test_hex(void)
{
    unsigned char in[64], back[64];
    char hex[129];
    bool ok = true;
    for (size_t n = 0; n <= 64 && ok; n++) {
        if (crypto_random(in, n) != 0) {
            ok = false;
            break;
        }
        hex_encode(in, n, hex);
        ok = strlen(hex) == 2 * n && strspn(hex, "0123456789abcdef") == 2 * n && hex_decode(hex, back, n) == 0 &&
             !memcmp(in, back, n);
    }
    CHECK("hex round trip, lengths 0..64, lowercase", ok);

    const unsigned char k[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    CHECK("hex_encode known bytes", hex_is(k, sizeof k, "00017f80abff"));
    unsigned char out[8];
    CHECK("hex_decode accepts uppercase", hex_decode("00017F80ABFF", out, 6) == 0 && !memcmp(out, k, 6));

    static const struct {
        const char *name, *in;
        size_t outlen;
    } bad[] = {
        {"hex_decode rejects 'g'", "0g", 1},
        {"hex_decode rejects 'z' in the high nibble", "z0", 1},
        {"hex_decode rejects a space", "0 ", 1},
        {"hex_decode rejects a sign", "-1", 1},
        {"hex_decode rejects '0x' prefix", "0x10", 2},
        {"hex_decode rejects an odd length", "abc", 1},
        {"hex_decode rejects a short string", "ab", 2},
        {"hex_decode rejects a long string", "abcdef", 2},
        {"hex_decode rejects empty for 1 byte", "", 1},
        {"hex_decode rejects a non-ASCII byte", "\xc3\xa9", 1},
    };
    for (size_t i = 0; i < NELEM(bad); i++)
        CHECK(bad[i].name, hex_decode(bad[i].in, out, bad[i].outlen) == -1);
    CHECK("hex_decode of \"\" into 0 bytes is fine", hex_decode("", out, 0) == 0);
}

/* ------------------------------------------------------------------ */
/* random */

static void test_random_digits(void)
{
    enum { DRAWS = 200000, DIGITS = 6 };
    static long count[DIGITS][10];
    char code[DIGITS + 2];
    bool shape = true, rc_ok = true;
    for (int i = 0; i < DRAWS; i++) {
        memset(code, 'X', sizeof code);
        if (crypto_random_digits(code, DIGITS) != 0) {
            rc_ok = false;
            break;
        }
        if (code[DIGITS] != '\0' || code[DIGITS + 1] != 'X' || strspn(code, "0123456789") != DIGITS)
            shape = false;
        for (int p = 0; p < DIGITS && code[p] >= '0' && code[p] <= '9'; p++)
            count[p][code[p] - '0']++;
    }
    CHECK("crypto_random_digits succeeds 200,000 times", rc_ok);
    CHECK("crypto_random_digits gives exactly 6 ASCII digits and a NUL, nothing more", shape);

    /* Expected 20,000 per digit per position; sd is about 134, so +-10%
     * (2,000) is ~15 sd: this never flakes, yet a modulo bias or a stuck
     * position (e.g. no leading zeros) fails it. */
    const double expect = DRAWS / 10.0;
    for (int p = 0; p < DIGITS; p++) {
        bool within = true;
        double chi2 = 0;
        for (int d = 0; d < 10; d++) {
            double diff = count[p][d] - expect;
            chi2 += diff * diff / expect;
            if (count[p][d] < expect * 0.9 || count[p][d] > expect * 1.1)
                within = false;
        }
        char name[96];
        snprintf(name, sizeof name, "position %d: every digit within 10%% of 20,000 in 200,000 draws", p);
        CHECK(name, within);
        /* 9 degrees of freedom: P(chi2 > 100) is below 1e-16. */
        snprintf(name, sizeof name, "position %d: chi-square over 10 digits below 100", p);
        CHECK(name, chi2 < 100);
    }

    char buf[16];
    CHECK("crypto_random_digits refuses 0 digits", crypto_random_digits(buf, 0) == -1);
    CHECK("crypto_random_digits refuses 10 digits", crypto_random_digits(buf, 10) == -1);
    CHECK("crypto_random_digits gives 9 digits", crypto_random_digits(buf, 9) == 0 && strlen(buf) == 9 &&
                                                     strspn(buf, "0123456789") == 9);
    CHECK("crypto_random_digits gives 1 digit", crypto_random_digits(buf, 1) == 0 && strlen(buf) == 1);

    char tok[64], tok2[64];
    CHECK("crypto_random_token of 32 bytes is 43 base64url characters",
          crypto_random_token(tok, sizeof tok, 32) == 0 && strlen(tok) == 43 &&
              strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43);
    CHECK("two random tokens differ", crypto_random_token(tok2, sizeof tok2, 32) == 0 && strcmp(tok, tok2));
    CHECK("crypto_random_token refuses more than 64 bytes", crypto_random_token(tok, sizeof tok, 65) == -1);
    CHECK("crypto_random_token refuses a too small buffer", crypto_random_token(tok, 43, 32) == -1);
}

/* ------------------------------------------------------------------ */
/* AES-256-GCM seal/open */

static bool contains(const unsigned char *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (!memcmp(hay + i, needle, m))
            return true;
    return false;
}

static bool unhex(const char *h, unsigned char *out, size_t n) { return hex_decode(h, out, n) == 0; }

static void test_seal_open(void)
{
    /* Known answers: "The Galois/Counter Mode of Operation (GCM)", McGrew &
     * Viega, test cases 13 and 14 (256-bit zero key, zero IV, no AAD). The
     * sealed form is nonce || ciphertext || tag. */
    unsigned char zero_key[32] = {0}, sealed[64], out[64];
    memset(sealed, 0, 12);
    CHECK("GCM test case 13 (empty plaintext) opens to 0 bytes",
          unhex("530f8afbc74536b9a963b4f1c4cb738b", sealed + 12, 16) &&
              crypto_open(zero_key, sealed, 28, "", out) == 0);
    memset(sealed, 0, 12);
    unhex("cea7403d4d606b6e074ec5d3baf39d18", sealed + 12, 16);
    unhex("d0d1c8a799996bf0265b98b5d48ab919", sealed + 28, 16);
    memset(out, 0xee, sizeof out);
    unsigned char zeros[16] = {0};
    CHECK("GCM test case 14 opens to 16 zero bytes",
          crypto_open(zero_key, sealed, 44, "", out) == 16 && !memcmp(out, zeros, 16));
    CHECK("GCM test case 14 with an AAD it was not sealed with is refused",
          crypto_open(zero_key, sealed, 44, "x", out) == -1);

    unsigned char key[32], key2[32];
    for (int i = 0; i < 32; i++) {
        key[i] = (unsigned char)(i * 7 + 1);
        key2[i] = key[i] ^ 1;
    }
    const char *msg = "110101199003071234";
    size_t n = strlen(msg);
    unsigned char *s1 = malloc(n + GCM_OVERHEAD), *s2 = malloc(n + GCM_OVERHEAD), *plain = malloc(n);
    CHECK("crypto_seal succeeds", crypto_seal(key, msg, n, "id_number", s1) == 0 &&
                                      crypto_seal(key, msg, n, "id_number", s2) == 0);
    CHECK("crypto_open round trip into an exactly sized buffer",
          crypto_open(key, s1, n + GCM_OVERHEAD, "id_number", plain) == (long)n && !memcmp(plain, msg, n));
    CHECK("two seals of the same plaintext differ (random nonce)", memcmp(s1, s2, n + GCM_OVERHEAD) != 0);
    CHECK("ciphertext does not contain the plaintext", !contains(s1, n + GCM_OVERHEAD, msg, n));
    CHECK("crypto_open refuses another key", crypto_open(key2, s1, n + GCM_OVERHEAD, "id_number", plain) == -1);
    CHECK("crypto_open refuses another AAD", crypto_open(key, s1, n + GCM_OVERHEAD, "phone", plain) == -1);
    static const struct {
        const char *name;
        size_t at; /* 0: nonce, 12: ciphertext, 12+n: tag */
    } flips[] = {{"crypto_open refuses a changed nonce", 0},
                 {"crypto_open refuses a changed ciphertext byte", 12},
                 {"crypto_open refuses a changed tag byte", 12 + 18}};
    for (size_t i = 0; i < NELEM(flips); i++) {
        s1[flips[i].at] ^= 0x01;
        CHECK(flips[i].name, crypto_open(key, s1, n + GCM_OVERHEAD, "id_number", plain) == -1);
        s1[flips[i].at] ^= 0x01;
    }
    CHECK("crypto_open refuses a truncated tag", crypto_open(key, s1, n + GCM_OVERHEAD - 1, "id_number", plain) == -1);
    CHECK("crypto_open refuses input shorter than nonce + tag", crypto_open(key, s1, GCM_OVERHEAD - 1, "", plain) == -1);
    unsigned char empty_sealed[GCM_OVERHEAD];
    CHECK("crypto_seal/open of an empty plaintext", crypto_seal(key, "", 0, "a", empty_sealed) == 0 &&
                                                      crypto_open(key, empty_sealed, GCM_OVERHEAD, "a", plain) == 0);
    free(s1);
    free(s2);
    free(plain);
}

/* ------------------------------------------------------------------ */
/* compare, hashes, HMAC, derivation */

static void test_equal(void)
{
    unsigned char a[32], b[32];
    memset(a, 0x5a, sizeof a);
    memcpy(b, a, sizeof b);
    CHECK("crypto_equal: equal buffers", crypto_equal(a, b, 32));
    b[0] ^= 1;
    CHECK("crypto_equal: first byte differs", !crypto_equal(a, b, 32));
    b[0] ^= 1;
    b[31] ^= 0x80;
    CHECK("crypto_equal: last byte's high bit differs", !crypto_equal(a, b, 32));
    CHECK("crypto_equal: only n bytes compared", crypto_equal(a, b, 31));
    CHECK("crypto_equal: zero length is equal", crypto_equal(a, b, 0));
}

static void test_hashes(void)
{
    unsigned char d[32];
    crypto_sha256("abc", 3, d);
    CHECK("SHA-256(\"abc\") matches FIPS 180-2",
          hex_is(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    crypto_sha256("", 0, d);
    CHECK("SHA-256(\"\") matches the known digest",
          hex_is(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));

    /* RFC 4231 4.2 test case 1 */
    unsigned char key1[20];
    memset(key1, 0x0b, sizeof key1);
    CHECK("HMAC-SHA256 RFC 4231 test case 1",
          crypto_hmac_sha256(key1, sizeof key1, "Hi There", 8, d) == 0 &&
              hex_is(d, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
    /* RFC 4231 4.3 test case 2 */
    CHECK("HMAC-SHA256 RFC 4231 test case 2",
          crypto_hmac_sha256((const unsigned char *)"Jefe", 4, "what do ya want for nothing?", 28, d) == 0 &&
              hex_is(d, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    /* RFC 4231 4.4 test case 3: 20 x 0xaa key, 50 x 0xdd data */
    unsigned char key3[20], data3[50];
    memset(key3, 0xaa, sizeof key3);
    memset(data3, 0xdd, sizeof data3);
    CHECK("HMAC-SHA256 RFC 4231 test case 3",
          crypto_hmac_sha256(key3, sizeof key3, data3, sizeof data3, d) == 0 &&
              hex_is(d, 32, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"));
    /* RFC 4231 4.7 test case 6: a 131-byte key (longer than the block) */
    unsigned char key6[131];
    memset(key6, 0xaa, sizeof key6);
    const char *data6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    CHECK("HMAC-SHA256 RFC 4231 test case 6 (key longer than a block)",
          crypto_hmac_sha256(key6, sizeof key6, data6, strlen(data6), d) == 0 &&
              hex_is(d, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
}

static void test_derive(void)
{
    unsigned char master[DATA_KEY_LEN], master2[DATA_KEY_LEN], a[32], b[32], c[32], a2[32], ref[32];
    for (int i = 0; i < DATA_KEY_LEN; i++) {
        master[i] = (unsigned char)i;
        master2[i] = (unsigned char)(i ^ 0x80);
    }
    CHECK("crypto_derive_key succeeds", crypto_derive_key(master, "sms-code", a) == 0 &&
                                            crypto_derive_key(master, "id-number-enc", b) == 0 &&
                                            crypto_derive_key(master, "id-number-index", c) == 0);
    CHECK("derived keys differ per label", memcmp(a, b, 32) && memcmp(a, c, 32) && memcmp(b, c, 32));
    CHECK("derived key is deterministic", crypto_derive_key(master, "sms-code", a2) == 0 && !memcmp(a, a2, 32));
    CHECK("derived key differs per master key",
          crypto_derive_key(master2, "sms-code", a2) == 0 && memcmp(a, a2, 32));
    CHECK("derived key differs from the master key", memcmp(a, master, 32));
    /* Independently: HMAC-SHA256(master, label) via OpenSSL directly. */
    unsigned int len = 32;
    HMAC(EVP_sha256(), master, DATA_KEY_LEN, (const unsigned char *)"sms-code", 8, ref, &len);
    CHECK("derived key is HMAC-SHA256(master, label)", len == 32 && !memcmp(a, ref, 32));
    CHECK("label is not prefix-ambiguous (\"sms\" vs \"sms-code\")",
          crypto_derive_key(master, "sms", a2) == 0 && memcmp(a, a2, 32));
}

int main(void)
{
    test_b64url_vectors();
    test_b64url_round_trip();
    test_b64url_strict();
    test_hex();
    test_random_digits();
    test_seal_open();
    test_equal();
    test_hashes();
    test_derive();
    return CHECK_DONE();
}
