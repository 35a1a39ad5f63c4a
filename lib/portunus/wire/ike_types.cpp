#include "portunus/wire/ike_types.h"

#include <variant>

#include "portunus/wire/ike_payloads.h"

namespace portunus::wire {

namespace {
std::string numbered(std::string_view prefix, unsigned value) {
  return std::string(prefix) + "_" + std::to_string(value);
}
}  // namespace

std::string name(PayloadType t) {
  switch (t) {
    case PayloadType::NoNext:
      return "NONE";
    case PayloadType::SecurityAssociation:
      return "SA";
    case PayloadType::KeyExchange:
      return "KE";
    case PayloadType::IdInitiator:
      return "IDi";
    case PayloadType::IdResponder:
      return "IDr";
    case PayloadType::Certificate:
      return "CERT";
    case PayloadType::CertificateRequest:
      return "CERTREQ";
    case PayloadType::Authentication:
      return "AUTH";
    case PayloadType::Nonce:
      return "No";
    case PayloadType::Notify:
      return "N";
    case PayloadType::Delete:
      return "D";
    case PayloadType::VendorId:
      return "V";
    case PayloadType::TsInitiator:
      return "TSi";
    case PayloadType::TsResponder:
      return "TSr";
    case PayloadType::Encrypted:
      return "SK";
    case PayloadType::Configuration:
      return "CP";
    case PayloadType::Eap:
      return "EAP";
    case PayloadType::EncryptedFragment:
      return "SKF";
  }
  return numbered("PAYLOAD", static_cast<unsigned>(t));
}

std::string name(ExchangeType t) {
  switch (t) {
    case ExchangeType::IkeSaInit:
      return "IKE_SA_INIT";
    case ExchangeType::IkeAuth:
      return "IKE_AUTH";
    case ExchangeType::CreateChildSa:
      return "CREATE_CHILD_SA";
    case ExchangeType::Informational:
      return "INFORMATIONAL";
    case ExchangeType::IkeIntermediate:
      return "IKE_INTERMEDIATE";
    case ExchangeType::IkeFollowupKe:
      return "IKE_FOLLOWUP_KE";
  }
  return numbered("EXCHANGE", static_cast<unsigned>(t));
}

std::string name(NotifyType t) {
  switch (t) {
    case NotifyType::UnsupportedCriticalPayload:
      return "UNSUPPORTED_CRITICAL_PAYLOAD";
    case NotifyType::InvalidIkeSpi:
      return "INVALID_IKE_SPI";
    case NotifyType::InvalidMajorVersion:
      return "INVALID_MAJOR_VERSION";
    case NotifyType::InvalidSyntax:
      return "INVALID_SYNTAX";
    case NotifyType::InvalidMessageId:
      return "INVALID_MESSAGE_ID";
    case NotifyType::InvalidSpi:
      return "INVALID_SPI";
    case NotifyType::NoProposalChosen:
      return "NO_PROPOSAL_CHOSEN";
    case NotifyType::InvalidKePayload:
      return "INVALID_KE_PAYLOAD";
    case NotifyType::AuthenticationFailed:
      return "AUTHENTICATION_FAILED";
    case NotifyType::SinglePairRequired:
      return "SINGLE_PAIR_REQUIRED";
    case NotifyType::NoAdditionalSas:
      return "NO_ADDITIONAL_SAS";
    case NotifyType::InternalAddressFailure:
      return "INTERNAL_ADDRESS_FAILURE";
    case NotifyType::FailedCpRequired:
      return "FAILED_CP_REQUIRED";
    case NotifyType::TsUnacceptable:
      return "TS_UNACCEPTABLE";
    case NotifyType::InvalidSelectors:
      return "INVALID_SELECTORS";
    case NotifyType::UnacceptableAddresses:
      return "UNACCEPTABLE_ADDRESSES";
    case NotifyType::UnexpectedNatDetected:
      return "UNEXPECTED_NAT_DETECTED";
    case NotifyType::UseAssignedHoA:
      return "USE_ASSIGNED_HoA";
    case NotifyType::TemporaryFailure:
      return "TEMPORARY_FAILURE";
    case NotifyType::ChildSaNotFound:
      return "CHILD_SA_NOT_FOUND";
    case NotifyType::InitialContact:
      return "INITIAL_CONTACT";
    case NotifyType::SetWindowSize:
      return "SET_WINDOW_SIZE";
    case NotifyType::AdditionalTsPossible:
      return "ADDITIONAL_TS_POSSIBLE";
    case NotifyType::IpcompSupported:
      return "IPCOMP_SUPPORTED";
    case NotifyType::NatDetectionSourceIp:
      return "NAT_DETECTION_SOURCE_IP";
    case NotifyType::NatDetectionDestinationIp:
      return "NAT_DETECTION_DESTINATION_IP";
    case NotifyType::Cookie:
      return "COOKIE";
    case NotifyType::UseTransportMode:
      return "USE_TRANSPORT_MODE";
    case NotifyType::HttpCertLookupSupported:
      return "HTTP_CERT_LOOKUP_SUPPORTED";
    case NotifyType::RekeySa:
      return "REKEY_SA";
    case NotifyType::EspTfcPaddingNotSupported:
      return "ESP_TFC_PADDING_NOT_SUPPORTED";
    case NotifyType::NonFirstFragmentsAlso:
      return "NON_FIRST_FRAGMENTS_ALSO";
    case NotifyType::MobikeSupported:
      return "MOBIKE_SUPPORTED";
    case NotifyType::AdditionalIp4Address:
      return "ADDITIONAL_IP4_ADDRESS";
    case NotifyType::AdditionalIp6Address:
      return "ADDITIONAL_IP6_ADDRESS";
    case NotifyType::NoAdditionalAddresses:
      return "NO_ADDITIONAL_ADDRESSES";
    case NotifyType::UpdateSaAddresses:
      return "UPDATE_SA_ADDRESSES";
    case NotifyType::Cookie2:
      return "COOKIE2";
    case NotifyType::NoNatsAllowed:
      return "NO_NATS_ALLOWED";
    case NotifyType::AuthLifetime:
      return "AUTH_LIFETIME";
    case NotifyType::MultipleAuthSupported:
      return "MULTIPLE_AUTH_SUPPORTED";
    case NotifyType::AnotherAuthFollows:
      return "ANOTHER_AUTH_FOLLOWS";
    case NotifyType::RedirectSupported:
      return "REDIRECT_SUPPORTED";
    case NotifyType::Redirect:
      return "REDIRECT";
    case NotifyType::RedirectedFrom:
      return "REDIRECTED_FROM";
    case NotifyType::EapOnlyAuthentication:
      return "EAP_ONLY_AUTHENTICATION";
    case NotifyType::ChildlessIkev2Supported:
      return "CHILDLESS_IKEV2_SUPPORTED";
    case NotifyType::Ikev2FragmentationSupported:
      return "IKEV2_FRAGMENTATION_SUPPORTED";
    case NotifyType::SignatureHashAlgorithms:
      return "SIGNATURE_HASH_ALGORITHMS";
    case NotifyType::IntermediateExchangeSupported:
      return "INTERMEDIATE_EXCHANGE_SUPPORTED";
  }
  return numbered(is_error_notify(t) ? "ERROR" : "STATUS", static_cast<unsigned>(t));
}

std::string name(IdType t) {
  switch (t) {
    case IdType::Ipv4Addr:
      return "ID_IPV4_ADDR";
    case IdType::Fqdn:
      return "ID_FQDN";
    case IdType::Rfc822Addr:
      return "ID_RFC822_ADDR";
    case IdType::Ipv6Addr:
      return "ID_IPV6_ADDR";
    case IdType::DerAsn1Dn:
      return "ID_DER_ASN1_DN";
    case IdType::DerAsn1Gn:
      return "ID_DER_ASN1_GN";
    case IdType::KeyId:
      return "ID_KEY_ID";
    case IdType::Null:
      return "ID_NULL";
  }
  return numbered("ID", static_cast<unsigned>(t));
}

std::string name(CertEncoding t) {
  switch (t) {
    case CertEncoding::Pkcs7WrappedX509:
      return "PKCS7_WRAPPED_X509";
    case CertEncoding::Pgp:
      return "PGP";
    case CertEncoding::DnsSignedKey:
      return "DNS_SIGNED_KEY";
    case CertEncoding::X509Signature:
      return "X509_SIGNATURE";
    case CertEncoding::Kerberos:
      return "KERBEROS_TOKEN";
    case CertEncoding::Crl:
      return "CRL";
    case CertEncoding::Arl:
      return "ARL";
    case CertEncoding::Spki:
      return "SPKI";
    case CertEncoding::X509Attribute:
      return "X509_ATTRIBUTE";
    case CertEncoding::RawRsaKey:
      return "RAW_RSA_KEY";
    case CertEncoding::HashUrlX509:
      return "HASH_URL_X509";
    case CertEncoding::HashUrlX509Bundle:
      return "HASH_URL_X509_BUNDLE";
    case CertEncoding::OcspContent:
      return "OCSP_CONTENT";
    case CertEncoding::RawPublicKey:
      return "RAW_PUBLIC_KEY";
  }
  return numbered("CERT_ENCODING", static_cast<unsigned>(t));
}

std::string name(CfgType t) {
  switch (t) {
    case CfgType::Request:
      return "CFG_REQUEST";
    case CfgType::Reply:
      return "CFG_REPLY";
    case CfgType::Set:
      return "CFG_SET";
    case CfgType::Ack:
      return "CFG_ACK";
  }
  return numbered("CFG", static_cast<unsigned>(t));
}

std::string name(ConfigAttributeType t) {
  switch (t) {
    case ConfigAttributeType::InternalIp4Address:
      return "INTERNAL_IP4_ADDRESS";
    case ConfigAttributeType::InternalIp4Netmask:
      return "INTERNAL_IP4_NETMASK";
    case ConfigAttributeType::InternalIp4Dns:
      return "INTERNAL_IP4_DNS";
    case ConfigAttributeType::InternalIp4Nbns:
      return "INTERNAL_IP4_NBNS";
    case ConfigAttributeType::InternalIp4Dhcp:
      return "INTERNAL_IP4_DHCP";
    case ConfigAttributeType::ApplicationVersion:
      return "APPLICATION_VERSION";
    case ConfigAttributeType::InternalIp6Address:
      return "INTERNAL_IP6_ADDRESS";
    case ConfigAttributeType::InternalIp6Dns:
      return "INTERNAL_IP6_DNS";
    case ConfigAttributeType::InternalIp6Dhcp:
      return "INTERNAL_IP6_DHCP";
    case ConfigAttributeType::InternalIp4Subnet:
      return "INTERNAL_IP4_SUBNET";
    case ConfigAttributeType::SupportedAttributes:
      return "SUPPORTED_ATTRIBUTES";
    case ConfigAttributeType::InternalIp6Subnet:
      return "INTERNAL_IP6_SUBNET";
    case ConfigAttributeType::InternalDnsDomain:
      return "INTERNAL_DNS_DOMAIN";
    case ConfigAttributeType::InternalDnssecTa:
      return "INTERNAL_DNSSEC_TA";
  }
  return numbered("CFG_ATTRIBUTE", static_cast<unsigned>(t));
}

PayloadType payload_type(const Payload& p) {
  struct Visitor {
    PayloadType operator()(const SaPayload&) const { return PayloadType::SecurityAssociation; }
    PayloadType operator()(const KePayload&) const { return PayloadType::KeyExchange; }
    PayloadType operator()(const IdiPayload&) const { return PayloadType::IdInitiator; }
    PayloadType operator()(const IdrPayload&) const { return PayloadType::IdResponder; }
    PayloadType operator()(const CertPayload&) const { return PayloadType::Certificate; }
    PayloadType operator()(const CertReqPayload&) const { return PayloadType::CertificateRequest; }
    PayloadType operator()(const AuthPayload&) const { return PayloadType::Authentication; }
    PayloadType operator()(const NoncePayload&) const { return PayloadType::Nonce; }
    PayloadType operator()(const NotifyPayload&) const { return PayloadType::Notify; }
    PayloadType operator()(const DeletePayload&) const { return PayloadType::Delete; }
    PayloadType operator()(const VendorIdPayload&) const { return PayloadType::VendorId; }
    PayloadType operator()(const TsiPayload&) const { return PayloadType::TsInitiator; }
    PayloadType operator()(const TsrPayload&) const { return PayloadType::TsResponder; }
    PayloadType operator()(const EncryptedPayload&) const { return PayloadType::Encrypted; }
    PayloadType operator()(const EncryptedFragmentPayload&) const { return PayloadType::EncryptedFragment; }
    PayloadType operator()(const ConfigPayload&) const { return PayloadType::Configuration; }
    PayloadType operator()(const EapPayload&) const { return PayloadType::Eap; }
    PayloadType operator()(const UnknownPayload& u) const { return static_cast<PayloadType>(u.type); }
  };
  return std::visit(Visitor{}, p);
}

}  // namespace portunus::wire
