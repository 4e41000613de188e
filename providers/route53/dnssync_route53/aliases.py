"""Canonical hosted zone ids of AWS load balancers, for Route53 alias records.

An alias record names its target's hosted zone. For Elastic Load Balancing that zone is
fixed per region and per kind (Application/Classic vs Network), as published in the AWS
General Reference ("Elastic Load Balancing endpoints and quotas"). The region and kind are
read from the load balancer's DNS name:

- Application and Classic LBs: ``<name>-<id>.<region>.elb.amazonaws.com`` (also with a
  ``dualstack.`` or ``internal-`` prefix), ``.amazonaws.com.cn`` in China;
- Network LBs: ``<name>-<id>.elb.<region>.amazonaws.com``.
"""

from __future__ import annotations

import re

from dnssync.model.names import DomainName

# region: (Application/Classic LB zone, Network LB zone)
ELB_ZONES: dict[str, tuple[str, str]] = {
    "us-east-1": ("Z35SXDOTRQ7X7K", "Z26RNL4JYFTOTI"),
    "us-east-2": ("Z3AADJGX6KTTL2", "ZLMOA37VPKANP"),
    "us-west-1": ("Z368ELLRRE2KJ0", "Z24FKFUX50B4VW"),
    "us-west-2": ("Z1H1FL5HABSF5", "Z18D5FSROUN65G"),
    "ca-central-1": ("ZQSVJUPU6J1EY", "Z2EPGBW3API2WT"),
    "af-south-1": ("Z268VQBMOI5EKX", "Z203XCE67M25HM"),
    "ap-east-1": ("Z3DQVH9N71FHZ0", "Z12Y7K3UBGUAD1"),
    "ap-south-1": ("ZP97RAFLXTNZK", "ZVDDRBQ08TROA"),
    "ap-northeast-1": ("Z14GRHDCWA56QT", "Z31USIVHYNEOWT"),
    "ap-northeast-2": ("ZWKZPGTI48KDX", "ZIBE1TIR4HY56"),
    "ap-northeast-3": ("Z5LXEXXYW11ES", "Z1GWIQ4HH19I5X"),
    "ap-southeast-1": ("Z1LMS91P8CMLE5", "ZKVM4W9LS7TM"),
    "ap-southeast-2": ("Z1GM3OXH4ZPM65", "ZCT6FZBF4DROD"),
    "ap-southeast-3": ("Z08888821HLRG5A9ZRTER", "Z01971771FYVNCOVWJU1G"),
    "eu-central-1": ("Z215JYRZR1TBD5", "Z3F0SRJ5LGBH90"),
    "eu-central-2": ("Z06391101F2ZOEP8P5EB3", "Z02239872DOALSIDCX66S"),
    "eu-west-1": ("Z32O12XQLNTSW2", "Z2IFOLAFXWLO4F"),
    "eu-west-2": ("ZHURV8PSTC4K8", "ZD4D7Y8KGAS4G"),
    "eu-west-3": ("Z3Q77PNBQS71R4", "Z1CMS0P5QUZ6D5"),
    "eu-north-1": ("Z23TAZ6LKFMNIO", "Z1UDT6IFJ4EJM"),
    "eu-south-1": ("Z3ULH7SSC9OV64", "Z23146JA1KNAFP"),
    "eu-south-2": ("Z0956581394HF5D5LXGAP", "Z1011216NVTVYADP1SSV"),
    "me-central-1": ("Z08230872XQRWHG2XF6I", "Z00282643NTTLPANJJG2P"),
    "me-south-1": ("ZS929ML54UICD", "Z3QSRYVP46NYYV"),
    "sa-east-1": ("Z2P70J7HTTTPLU", "ZTK26PT1VY4CU"),
    "cn-north-1": ("Z1GDH35T77C1KE", "Z3QFB96KMJ7ED6"),
    "cn-northwest-1": ("ZM7IZAIOVVDZF", "ZQEIKTCZ8352D"),
    "us-gov-east-1": ("Z166TLBEWOO7G0", "Z1ZSMQQ6Q24QQ8"),
    "us-gov-west-1": ("Z33AYJ8TM3BH4J", "ZMG1MZ2THAWF1"),
}

_REGION = r"(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d+)"
_APPLICATION = re.compile(rf"\.{_REGION}\.elb\.amazonaws\.com(?:\.cn)?$")
_NETWORK = re.compile(rf"\.elb\.{_REGION}\.amazonaws\.com(?:\.cn)?$")


def load_balancer_zone(target: DomainName) -> str | None:
    """The canonical hosted zone id of an AWS load balancer hostname, or None."""
    text = target.text
    network = _NETWORK.search(text)
    if network:
        zones = ELB_ZONES.get(network.group("region"))
        return zones[1] if zones else None
    application = _APPLICATION.search(text)
    if application:
        zones = ELB_ZONES.get(application.group("region"))
        return zones[0] if zones else None
    return None


def is_load_balancer(target: DomainName) -> bool:
    return load_balancer_zone(target) is not None


def without_dualstack(target: DomainName) -> DomainName:
    """Route53 may hand an ELB alias target back with ``dualstack.`` in front; drop it."""
    if target.text.startswith("dualstack.") and is_load_balancer(target):
        return DomainName(target.text[len("dualstack.") :])
    return target
