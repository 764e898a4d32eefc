//! jsonwebtoken's crypto on ring: the algorithms this client signs with (RS256 for a
//! `private_key_jwt` client assertion, ES256 for it and for DPoP proofs), and their
//! verifiers (tests check what was signed).
//!
//! Why not one of jsonwebtoken's own backends: `aws_lc_rs` links aws-lc's C library
//! (≈ 0.7 MB) beside the ring that rustls already uses for TLS, and `rust_crypto` adds
//! RSA and elliptic-curve crates beside ring too. jsonwebtoken's [`CryptoProvider`] is
//! the documented way to bring another backend. Any other algorithm is refused with
//! [`ErrorKind::InvalidAlgorithm`], never a panic.

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents,
    UnparsedPublicKey,
};

/// Installs [`RING_PROVIDER`] as jsonwebtoken's process-wide provider; a provider
/// installed earlier by the process wins. jsonwebtoken has no backend feature turned on
/// here, so whatever makes keys or signs calls this first (`OktaClient::new`, the OAuth
/// signer, the DPoP key); it is idempotent and cheap.
pub(crate) fn install() {
    let _ = CryptoProvider::install_default(&RING_PROVIDER);
}

/// The provider [`install`] installs.
static RING_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: |_| Err(ErrorKind::InvalidAlgorithm.into()),
        rsa_pub_components_from_public_key: |_| Err(ErrorKind::InvalidAlgorithm.into()),
        ec_pub_components_from_private_key: ec_public_components,
        ed_pub_components_from_private_key: |_, _| Err(ErrorKind::InvalidAlgorithm.into()),
        compute_digest,
    },
};

fn new_signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    match (algorithm, key.family()) {
        (Algorithm::RS256, AlgorithmFamily::Rsa) => {
            // `from_rsa_pem` keeps the PKCS#1 key, also when the PEM was PKCS#8.
            let pair = RsaKeyPair::from_der(key.as_bytes())
                .map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()))?;
            Ok(Box::new(Rs256Signer(pair)))
        }
        (Algorithm::ES256, AlgorithmFamily::Ec) => {
            let pair = es256_pair(key.as_bytes())?;
            Ok(Box::new(Es256Signer(pair)))
        }
        (Algorithm::RS256 | Algorithm::ES256, _) => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match (algorithm, key.family()) {
        (Algorithm::RS256, AlgorithmFamily::Rsa) => Ok(Box::new(Rs256Verifier(key.clone()))),
        (Algorithm::ES256, AlgorithmFamily::Ec) => Ok(Box::new(Es256Verifier(key.clone()))),
        (Algorithm::RS256 | Algorithm::ES256, _) => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

/// A PKCS#8 P-256 key (as `from_ec_pem` and `from_ec_der` hold it).
fn es256_pair(pkcs8: &[u8]) -> Result<EcdsaKeyPair> {
    EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8,
        &SystemRandom::new(),
    )
    .map_err(|_| ErrorKind::InvalidEcdsaKey.into())
}

/// The curve and `x`, `y` of an ES256 private key's public point (a DPoP proof's JWK).
fn ec_public_components(
    pkcs8: &[u8],
    algorithm: Algorithm,
) -> Result<(EllipticCurve, Vec<u8>, Vec<u8>)> {
    if algorithm != Algorithm::ES256 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let pair = es256_pair(pkcs8)?;
    // An uncompressed point: 0x04, then x and y of 32 bytes each.
    match pair.public_key().as_ref() {
        [4, point @ ..] if point.len() == 64 => {
            let (x, y) = point.split_at(32);
            Ok((EllipticCurve::P256, x.to_vec(), y.to_vec()))
        }
        _ => Err(ErrorKind::InvalidEcdsaKey.into()),
    }
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "the signature is jsonwebtoken's `KeyUtils::compute_digest`"
)]
fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>> {
    let algorithm = match hash {
        ThumbprintHash::SHA256 => &ring::digest::SHA256,
        ThumbprintHash::SHA384 => &ring::digest::SHA384,
        ThumbprintHash::SHA512 => &ring::digest::SHA512,
        _ => return Err(ErrorKind::InvalidAlgorithm.into()),
    };
    Ok(ring::digest::digest(algorithm, data).as_ref().to_vec())
}

struct Rs256Signer(RsaKeyPair);

impl Signer<Vec<u8>> for Rs256Signer {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let mut sig = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut sig)
            .map_err(signature::Error::from_source)?;
        Ok(sig)
    }
}

impl JwtSigner for Rs256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

struct Es256Signer(EcdsaKeyPair);

impl Signer<Vec<u8>> for Es256Signer {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let sig = self
            .0
            .sign(&SystemRandom::new(), msg)
            .map_err(signature::Error::from_source)?;
        Ok(sig.as_ref().to_vec())
    }
}

impl JwtSigner for Es256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

struct Rs256Verifier(DecodingKey);

impl Verifier<Vec<u8>> for Rs256Verifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        match self.0.kind() {
            DecodingKeyKind::SecretOrDer(der) => {
                UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).verify(msg, sig)
            }
            DecodingKeyKind::RsaModulusExponent { n, e } => {
                RsaPublicKeyComponents { n, e }.verify(&RSA_PKCS1_2048_8192_SHA256, msg, sig)
            }
        }
        .map_err(signature::Error::from_source)
    }
}

impl JwtVerifier for Rs256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

struct Es256Verifier(DecodingKey);

impl Verifier<Vec<u8>> for Es256Verifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let point = self
            .0
            .try_get_as_bytes()
            .map_err(signature::Error::from_source)?;
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .verify(msg, sig)
            .map_err(signature::Error::from_source)
    }
}

impl JwtVerifier for Es256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_algorithm_it_does_not_implement_is_an_error_not_a_panic() {
        let key = EncodingKey::from_secret(b"secret");
        let refused = new_signer(&Algorithm::HS256, &key).err();
        assert!(matches!(
            refused.as_ref().map(jsonwebtoken::errors::Error::kind),
            Some(ErrorKind::InvalidAlgorithm)
        ));
        let refused = new_signer(&Algorithm::RS256, &key).err();
        assert!(matches!(
            refused.as_ref().map(jsonwebtoken::errors::Error::kind),
            Some(ErrorKind::InvalidKeyFormat)
        ));
    }
}
