"""Translation between the identity domain and its proto contract."""

from zhurnal.identity.v1 import identity_pb2 as pb
from zhurnal_identity.domain.institutions import Institution, InstitutionKind

KIND_TO_PROTO = {
    InstitutionKind.SCHOOL: pb.INSTITUTION_KIND_SCHOOL,
    InstitutionKind.ADDITIONAL_EDUCATION: pb.INSTITUTION_KIND_ADDITIONAL_EDUCATION,
    InstitutionKind.OTHER: pb.INSTITUTION_KIND_OTHER,
}
KIND_FROM_PROTO = {v: k for k, v in KIND_TO_PROTO.items()}


def institution_to_proto(item: Institution) -> pb.Institution:
    """The contract's view of an institution."""
    return pb.Institution(
        id=item.id,
        code=item.code,
        full_name=item.full_name,
        short_name=item.short_name,
        kind=KIND_TO_PROTO[item.kind],
        time_zone=item.time_zone,
        address=item.address,
    )
