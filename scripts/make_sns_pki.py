#!/usr/bin/env python3
"""Makes the test PKI in fixtures/sns/pki/: a test root, a test intermediate, and SNS-like leaf
certificates for the signing key in fixtures/sns/ (Python's `cryptography` package).

They exist only for tests: the leaf is issued to sns.amazonaws.com by a test intermediate whose
URL (Authority Information Access) is at a made-up amazontrust.com host, as SNS's real leaf
names Amazon Trust Services. Nothing here is trusted outside the tests that load the test root.
Re-run to regenerate; the test keys are written next to the certificates.
"""
import datetime
import pathlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

ROOT = pathlib.Path(__file__).resolve().parent.parent
SNS = ROOT / "fixtures" / "sns"
PKI = SNS / "pki"
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
CA_END = datetime.datetime(2055, 1, 1, tzinfo=datetime.timezone.utc)
LEAF_END = datetime.datetime(2045, 1, 1, tzinfo=datetime.timezone.utc)


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailtrail tests"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def key(file: str):
    path = PKI / file
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), None)
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return k


def certificate(subject, public_key, issuer, issuer_key, *, ca, end, san=None, aia=None):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(START)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False)
    if aia:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(aia))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def write(file: str, cert) -> None:
    (PKI / file).write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def main() -> None:
    PKI.mkdir(parents=True, exist_ok=True)
    root_key = key("test-root-key.pem")
    intermediate_key = key("test-intermediate-key.pem")
    signing_key = serialization.load_pem_private_key((SNS / "test-sns-signing-key.pem").read_bytes(), None)
    root = certificate(name("mailtrail test root"), root_key.public_key(), name("mailtrail test root"), root_key, ca=True, end=CA_END)
    intermediate = certificate(
        name("mailtrail test intermediate"), intermediate_key.public_key(), root.subject, root_key, ca=True, end=CA_END
    )
    leaf = certificate(
        name("sns.amazonaws.com"),
        signing_key.public_key(),
        intermediate.subject,
        intermediate_key,
        ca=False,
        end=LEAF_END,
        san=["sns.amazonaws.com"],
        aia="http://crt.test.amazontrust.com/test-intermediate.cer",
    )
    other = certificate(
        name("example.com"),
        signing_key.public_key(),
        intermediate.subject,
        intermediate_key,
        ca=False,
        end=LEAF_END,
        san=["example.com"],
        aia="http://example.com/test-intermediate.cer",
    )
    write("test-root.pem", root)
    write("test-intermediate.pem", intermediate)
    (PKI / "test-intermediate.cer").write_bytes(intermediate.public_bytes(serialization.Encoding.DER))
    write("sns-leaf.pem", leaf)
    write("other-name-leaf.pem", other)


if __name__ == "__main__":
    main()
