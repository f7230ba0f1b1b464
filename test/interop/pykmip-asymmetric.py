"""PyKMIP client driver for test/interop/pykmip-asymmetric.test.ts.

Against `krypton serve --profile core` over mutual TLS 1.2: create_key_pair (RSA 2048), get of
both keys, activate, sign and signature_verify (RSA-PSS, SHA-256), register of a Private Key,
Public Key, Certificate, Secret Data, Opaque Object and HMAC key, get of each, mac with the
HMAC key. Prints one JSON object with what it saw.
Usage: pykmip-asymmetric.py HOST PORT CERT KEY CA CERT_PEM_FILE
"""
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from kmip.core import enums
from kmip.pie import objects
from kmip.pie.client import ProxyKmipClient


def main():
    host, port, cert, key, ca, cert_pem = sys.argv[1:7]
    client = ProxyKmipClient(
        hostname=host,
        port=int(port),
        cert=cert,
        key=key,
        ca=ca,
        ssl_version="PROTOCOL_TLSv1_2",
        config_file="/dev/null",
    )
    out = {}
    message = b"krypton signs via pykmip"
    pss = {
        "cryptographic_algorithm": enums.CryptographicAlgorithm.RSA,
        "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
        "padding_method": enums.PaddingMethod.PSS,
    }
    with client:
        public_uid, private_uid = client.create_key_pair(
            enums.CryptographicAlgorithm.RSA,
            2048,
            public_name="pykmip-public",
            public_usage_mask=[enums.CryptographicUsageMask.VERIFY],
            private_name="pykmip-private",
            private_usage_mask=[enums.CryptographicUsageMask.SIGN],
        )
        out["public_uid"], out["private_uid"] = public_uid, private_uid
        public = client.get(public_uid)
        out["public_type"] = type(public).__name__
        out["public_length"] = public.cryptographic_length
        client.activate(private_uid)
        client.activate(public_uid)
        signature = client.sign(message, uid=private_uid, cryptographic_parameters=pss)
        out["signature_length"] = len(signature)
        # Verified here too, with the public key Krypton returned (cryptography, not Krypton).
        spki = public.value if public.key_format_type == enums.KeyFormatType.X_509 else _pkcs1_to_spki(public.value)
        loaded = serialization.load_der_public_key(spki)
        loaded.verify(signature, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO), hashes.SHA256())
        out["locally_verified"] = True
        out["verify_valid"] = client.signature_verify(message, signature, uid=public_uid, cryptographic_parameters=pss).name
        out["verify_tampered"] = client.signature_verify(message + b"!", signature, uid=public_uid, cryptographic_parameters=pss).name

        # Register every object type and read each back.
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = rsa_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
        registered = {}
        registered["private"] = client.register(objects.PrivateKey(enums.CryptographicAlgorithm.RSA, 2048, der, enums.KeyFormatType.PKCS_1, masks=[enums.CryptographicUsageMask.SIGN]))
        pub_der = rsa_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        registered["public"] = client.register(objects.PublicKey(enums.CryptographicAlgorithm.RSA, 2048, pub_der, enums.KeyFormatType.X_509, masks=[enums.CryptographicUsageMask.VERIFY]))
        cert_der = x509.load_pem_x509_certificate(open(cert_pem, "rb").read()).public_bytes(serialization.Encoding.DER)
        registered["certificate"] = client.register(objects.X509Certificate(cert_der))
        registered["secret"] = client.register(objects.SecretData(b"pykmip password", enums.SecretDataType.PASSWORD))
        registered["opaque"] = client.register(objects.OpaqueObject(b"\x00pykmip opaque\xff" * 40, enums.OpaqueDataType.NONE))
        hmac_key = b"\x0b" * 32
        registered["hmac"] = client.register(objects.SymmetricKey(enums.CryptographicAlgorithm.HMAC_SHA256, 256, hmac_key, masks=[enums.CryptographicUsageMask.MAC_GENERATE]))
        out["registered"] = registered
        got = {name: client.get(uid) for name, uid in registered.items()}
        out["private_roundtrip"] = got["private"].value == der
        out["public_roundtrip"] = got["public"].value == pub_der
        out["certificate_roundtrip"] = got["certificate"].value == cert_der
        out["secret_roundtrip"] = got["secret"].value == b"pykmip password"
        out["opaque_roundtrip"] = got["opaque"].value == b"\x00pykmip opaque\xff" * 40
        out["hmac_roundtrip"] = got["hmac"].value == hmac_key
        client.activate(registered["hmac"])
        _, mac_data = client.mac(b"krypton mac via pykmip", uid=registered["hmac"], algorithm=enums.CryptographicAlgorithm.HMAC_SHA256)
        h = hmac.HMAC(hmac_key, hashes.SHA256())
        h.update(b"krypton mac via pykmip")
        out["mac_matches"] = mac_data == h.finalize()
        for uid in [private_uid, public_uid, registered["hmac"]]:
            client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid)
        for uid in [private_uid, public_uid, *registered.values()]:
            client.destroy(uid)
        out["destroyed"] = True
    print(json.dumps(out))


def _pkcs1_to_spki(pkcs1):
    """PKCS#1 RSAPublicKey (what Krypton answers for an RSA pair by default) to SubjectPublicKeyInfo."""
    import base64
    pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(pkcs1) + b"-----END RSA PUBLIC KEY-----\n"
    key = serialization.load_pem_public_key(pem)
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


if __name__ == "__main__":
    main()
