"""PyKMIP client driver for test/interop/pykmip-matrix.test.ts.

Every ProxyKmipClient operation Krypton implements (all of PyKMIP 0.10's but derive_key), in one
KMIP version, against one Krypton endpoint (the standalone profile, or a gateway in front of a
core) over mutual TLS 1.2. Each step is recorded on its own: "ok", or the error it raised (the
Result Reason and message of a refusal), so one failure does not hide the others. Prints one JSON
object: {"version": ..., "steps": {name: "ok" | "error: ..."}, "values": {...}}.
Usage: pykmip-matrix.py HOST PORT CERT KEY CA VERSION(1.2|1.4|2.0) CERT_PEM_FILE
"""
import json
import sys
import traceback

from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from kmip.core import enums
from kmip.core.factories import attributes as attribute_factory
from kmip.pie import objects
from kmip.pie.client import ProxyKmipClient

VERSIONS = {
    "1.2": enums.KMIPVersion.KMIP_1_2,
    "1.4": enums.KMIPVersion.KMIP_1_4,
    "2.0": enums.KMIPVersion.KMIP_2_0,
}

AES_CBC = {
    "block_cipher_mode": enums.BlockCipherMode.CBC,
    "padding_method": enums.PaddingMethod.PKCS5,
    "cryptographic_algorithm": enums.CryptographicAlgorithm.AES,
}
RSA_PSS = {
    "cryptographic_algorithm": enums.CryptographicAlgorithm.RSA,
    "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
    "padding_method": enums.PaddingMethod.PSS,
}


class Matrix:
    def __init__(self):
        self.steps = {}
        self.values = {}

    def step(self, name, fn):
        """Runs one operation; its result, or None when it failed (recorded)."""
        try:
            result = fn()
            self.steps[name] = "ok"
            return result
        except Exception as err:  # KmipOperationFailure carries the Result Reason and message
            reason = getattr(err, "reason", None)
            detail = f"{reason}: {getattr(err, 'message', err)}" if reason is not None else repr(err)
            self.steps[name] = "error: " + detail
            if reason is None:
                self.values.setdefault("tracebacks", {})[name] = traceback.format_exc(limit=4)
            return None

    def expect(self, name, ok):
        if self.steps.get(name) == "ok" and not ok:
            self.steps[name] = "error: unexpected result"


def value_of(attribute):
    v = attribute.attribute_value
    return getattr(v, "value", v)


def main():
    host, port, cert, key, ca, version, cert_pem = sys.argv[1:8]
    v2 = version == "2.0"
    tag = version.replace(".", "")
    factory = attribute_factory.AttributeFactory()
    m = Matrix()
    client = ProxyKmipClient(
        hostname=host,
        port=int(port),
        cert=cert,
        key=key,
        ca=ca,
        ssl_version="PROTOCOL_TLSv1_2",
        config_file="/dev/null",
        kmip_version=VERSIONS[version],
    )
    with client:
        # Symmetric key lifecycle: an AES data key (L4 behind a gateway).
        name = f"pykmip-matrix-{tag}"
        uid = m.step("create", lambda: client.create(
            enums.CryptographicAlgorithm.AES, 256, name=name,
            cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT],
        ))
        located = m.step("locate", lambda: client.locate(
            attributes=[factory.create_attribute(enums.AttributeType.NAME, name)]
        ))
        m.expect("locate", located == [uid])
        attrs = m.step("get_attributes", lambda: client.get_attributes(uid, ["State", "Cryptographic Length"])[1])
        if attrs is not None:
            got = {a.attribute_name.value: value_of(a) for a in attrs}
            m.values["state_after_create"] = str(got.get("State"))
            m.expect("get_attributes", got.get("Cryptographic Length") == 256)
        names = m.step("get_attribute_list", lambda: client.get_attribute_list(uid))
        m.expect("get_attribute_list", names is not None and "Cryptographic Algorithm" in names)
        m.step("check", lambda: client.check(
            uid, cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT]
        ))
        m.step("activate", lambda: client.activate(uid))
        key_object = m.step("get", lambda: client.get(uid))
        m.expect("get", key_object is not None and len(key_object.value) == 32)
        iv = b"\x02" * 16
        plaintext = b"krypton interop matrix " + version.encode()
        encrypted = m.step("encrypt", lambda: client.encrypt(
            plaintext, uid=uid, cryptographic_parameters=AES_CBC, iv_counter_nonce=iv
        ))
        decrypted = m.step("decrypt", lambda: client.decrypt(
            encrypted[0], uid=uid, cryptographic_parameters=AES_CBC, iv_counter_nonce=iv
        )) if encrypted else None
        m.expect("decrypt", decrypted == plaintext)

        # Attribute changes on it: 1.x Modify/Delete Attribute, 2.0 Set Attribute.
        if v2:
            m.step("set_attribute", lambda: client.set_attribute(
                unique_identifier=uid, attribute_name="Sensitive", attribute_value=True
            ))
            after = m.step("get_attributes_after_set", lambda: client.get_attributes(uid, ["Sensitive"])[1])
            m.expect("get_attributes_after_set", after is not None and [value_of(a) for a in after] == [True])
        else:
            renamed = f"pykmip-matrix-renamed-{tag}"
            m.step("modify_attribute", lambda: client.modify_attribute(
                unique_identifier=uid, attribute=factory.create_attribute(enums.AttributeType.NAME, renamed, 0)
            ))
            relocated = m.step("locate_renamed", lambda: client.locate(
                attributes=[factory.create_attribute(enums.AttributeType.NAME, renamed)]
            ))
            m.expect("locate_renamed", relocated == [uid])
            m.step("delete_attribute", lambda: client.delete_attribute(
                unique_identifier=uid, attribute_name="Name", attribute_index=0
            ))
            left = m.step("get_attributes_after_delete", lambda: client.get_attributes(uid, ["Name"])[1])
            m.expect("get_attributes_after_delete", left == [])

        # ReKey of the tenant's service key (the L3 the data keys are wrapped under).
        service = m.step("locate_service_key", lambda: client.locate(
            attributes=[factory.create_attribute(enums.AttributeType.NAME, "krypton-service-key")]
        ))
        if service:
            rekeyed = m.step("rekey", lambda: client.rekey(uid=service[0]))
            m.expect("rekey", rekeyed is not None and rekeyed != service[0])
            # Data keys made after the Rekey are wrapped under the new version; old ones still decrypt.
            m.step("decrypt_after_rekey", lambda: client.decrypt(
                encrypted[0], uid=uid, cryptographic_parameters=AES_CBC, iv_counter_nonce=iv
            ) if encrypted else None)
        else:
            m.steps["rekey"] = "error: the service key was not located"

        m.step("revoke", lambda: client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid))
        m.step("destroy", lambda: client.destroy(uid))

        # Register: an AES key (kept as an L4 behind a gateway) and every other object type.
        aes = b"\x5a" * 32
        registered = {}
        registered["symmetric"] = m.step("register_symmetric", lambda: client.register(
            objects.SymmetricKey(enums.CryptographicAlgorithm.AES, 256, aes,
                                 masks=[enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT])
        ))
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = rsa_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
        registered["private"] = m.step("register_private_key", lambda: client.register(
            objects.PrivateKey(enums.CryptographicAlgorithm.RSA, 2048, der, enums.KeyFormatType.PKCS_1,
                               masks=[enums.CryptographicUsageMask.SIGN])
        ))
        pub_der = rsa_key.public_key().public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
        registered["public"] = m.step("register_public_key", lambda: client.register(
            objects.PublicKey(enums.CryptographicAlgorithm.RSA, 2048, pub_der, enums.KeyFormatType.X_509,
                              masks=[enums.CryptographicUsageMask.VERIFY])
        ))
        cert_der = x509.load_pem_x509_certificate(open(cert_pem, "rb").read()).public_bytes(serialization.Encoding.DER)
        registered["certificate"] = m.step("register_certificate", lambda: client.register(
            objects.X509Certificate(cert_der)
        ))
        registered["secret"] = m.step("register_secret_data", lambda: client.register(
            objects.SecretData(b"pykmip matrix password", enums.SecretDataType.PASSWORD)
        ))
        registered["opaque"] = m.step("register_opaque_object", lambda: client.register(
            objects.OpaqueObject(b"\x00pykmip matrix\xff" * 8, enums.OpaqueDataType.NONE)
        ))
        hmac_key = b"\x0c" * 32
        registered["hmac"] = m.step("register_hmac_key", lambda: client.register(
            objects.SymmetricKey(enums.CryptographicAlgorithm.HMAC_SHA256, 256, hmac_key,
                                 masks=[enums.CryptographicUsageMask.MAC_GENERATE])
        ))
        expected = {
            "symmetric": aes, "private": der, "public": pub_der, "certificate": cert_der,
            "secret": b"pykmip matrix password", "opaque": b"\x00pykmip matrix\xff" * 8, "hmac": hmac_key,
        }
        for what, ruid in registered.items():
            if ruid is None:
                continue
            got = m.step(f"get_{what}", lambda: client.get(ruid))
            m.expect(f"get_{what}", got is not None and got.value == expected[what])

        # MAC with the HMAC key, checked here with `cryptography`.
        if registered["hmac"]:
            m.step("activate_hmac_key", lambda: client.activate(registered["hmac"]))
            mac = m.step("mac", lambda: client.mac(
                b"krypton matrix mac", uid=registered["hmac"], algorithm=enums.CryptographicAlgorithm.HMAC_SHA256
            ))
            h = hmac.HMAC(hmac_key, hashes.SHA256())
            h.update(b"krypton matrix mac")
            m.expect("mac", mac is not None and mac[1] == h.finalize())

        # Key pair, signature and verification (at the core behind a gateway).
        pair = m.step("create_key_pair", lambda: client.create_key_pair(
            enums.CryptographicAlgorithm.RSA, 2048,
            public_name=f"pykmip-matrix-public-{tag}", public_usage_mask=[enums.CryptographicUsageMask.VERIFY],
            private_name=f"pykmip-matrix-private-{tag}", private_usage_mask=[enums.CryptographicUsageMask.SIGN],
        ))
        if pair:
            public_uid, private_uid = pair
            m.step("activate_key_pair", lambda: (client.activate(private_uid), client.activate(public_uid)))
            message = b"krypton matrix signature " + version.encode()
            signature = m.step("sign", lambda: client.sign(message, uid=private_uid, cryptographic_parameters=RSA_PSS))
            if signature is not None:
                valid = m.step("signature_verify", lambda: client.signature_verify(
                    message, signature, uid=public_uid, cryptographic_parameters=RSA_PSS
                ))
                m.expect("signature_verify", valid == enums.ValidityIndicator.VALID)
                tampered = m.step("signature_verify_tampered", lambda: client.signature_verify(
                    message + b"!", signature, uid=public_uid, cryptographic_parameters=RSA_PSS
                ))
                m.expect("signature_verify_tampered", tampered == enums.ValidityIndicator.INVALID)
            for what, kuid in (("private", private_uid), ("public", public_uid)):
                m.step(f"revoke_{what}_key", lambda: client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, kuid))
                m.step(f"destroy_{what}_key", lambda: client.destroy(kuid))
    print(json.dumps({"version": version, "steps": m.steps, "values": m.values}))


if __name__ == "__main__":
    main()
