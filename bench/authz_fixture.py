#!/usr/bin/env python3
"""The access-control fixtures of bench/authz-get.sh and bench/callgrind-authz.sh.

usage: authz_fixture.py policy OUT OPS_SHA256 BENCH_SHA256
           writes a policy of 1,000 grants to OUT: grant 0 makes token:ops an administrator;
           then, over many prefixes, cert:*, token:* and jwt:* grants with {name}, * and /**
           patterns and grants to 200 named device tokens; the bench principals' GET of
           /bench/cfg (token:bench, jwt:bench-device) is allowed only by grant 995 (/bench/*),
           near the end of the list. The other tokens' digests are random.
       authz_fixture.py jwt OUT_JWKS
           makes a P-256 key, writes its JWKS to OUT_JWKS and prints an ES256 JWT for
           sub "bench-device", valid for two hours (no key is kept).
"""
import base64
import json
import os
import sys
import time

GRANTS = 1000
DECIDING = 995
DEVICE_TOKENS = 200


def policy(out, ops_sha, bench_sha):
    tokens = [{"id": "ops", "sha256": ops_sha}, {"id": "bench", "sha256": bench_sha}]
    tokens += [{"id": f"dev{k}", "sha256": os.urandom(32).hex()} for k in range(DEVICE_TOKENS)]
    grants = [{"who": ["token:ops"], "allow": ["admin"], "paths": ["/**"]}]
    for i in range(1, GRANTS):
        t = f"t{i % 200}"
        if i == DECIDING:
            grants.append({"who": ["token:bench", "jwt:bench-device"], "allow": ["read"], "paths": ["/bench/*"]})
            continue
        if i > GRANTS - 20:
            # Late grants on the bench prefix that do not allow its GET: other principals,
            # other permissions, deeper paths.
            grants.append([
                {"who": ["cert:*"], "allow": ["read"], "paths": ["/bench/**"]},
                {"who": ["token:*", "jwt:*"], "allow": ["write"], "paths": [f"/bench/{{name}}/w{i}/**"]},
                {"who": ["token:*"], "allow": ["read"], "paths": [f"/bench/*/r{i}", "/bench/{name}/**"]},
                {"who": [f"token:dev{i % DEVICE_TOKENS}"], "allow": ["read", "write"], "paths": ["/bench/**"]},
            ][i % 4])
            continue
        grants.append([
            {"who": ["cert:*", "jwt:*"], "allow": ["read"], "paths": [f"/tenants/{t}/config/**"]},
            {"who": ["cert:*", "token:*", "jwt:*"], "allow": ["read", "write"],
             "paths": [f"/tenants/{t}/devices/{{name}}/**"]},
            {"who": ["token:*", "cert:*"], "allow": ["lock", "elect"],
             "paths": [f"/locks/{t}/*", f"/elections/{t}/*"]},
            {"who": [f"token:dev{i % DEVICE_TOKENS}"], "allow": ["read", "write"],
             "paths": [f"/tenants/{t}/reports/dev{i % DEVICE_TOKENS}/**"]},
            {"who": ["cert:*", "token:*"], "allow": ["read"], "paths": [f"/tenants/*/shared/s{i}/**"]},
            {"who": ["token:*", "jwt:*"], "allow": ["register"], "paths": [f"/services/{t}/*/{{name}}"]},
            {"who": ["jwt:*", "token:*"], "allow": ["read"], "paths": [f"/config/app{i % 50}/{{name}}/**"]},
            {"who": [f"san:dev{i}.{t}.example"], "allow": ["read", "write"], "paths": [f"/fleet/{t}/*/status"]},
        ][i % 8])
    assert len(grants) == GRANTS
    with open(out, "w") as f:
        json.dump({"tokens": tokens, "grants": grants}, f, indent=1)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(out):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    jwks = {"keys": [{"kty": "EC", "crv": "P-256", "kid": "bench", "use": "sig", "alg": "ES256",
                      "x": b64(numbers.x.to_bytes(32, "big")), "y": b64(numbers.y.to_bytes(32, "big"))}]}
    with open(out, "w") as f:
        json.dump(jwks, f)
    now = int(time.time())
    header = {"alg": "ES256", "kid": "bench", "typ": "JWT"}
    claims = {"sub": "bench-device", "iat": now, "exp": now + 7200, "scope": "nodes:read"}
    signed = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    r, s = utils.decode_dss_signature(key.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
    print(signed + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "policy":
        policy(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "jwt":
        jwt(sys.argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
