"""A product lot and a protocol arm must speak of the same product types:
the lot's choices and the clinical protocol's enum are one vocabulary."""

from stromal.clinical.protocol import ProductType as ArmProductType
from stromal.products.models import ProductType as LotProductType


def test_lot_product_types_are_exactly_the_protocol_product_types() -> None:
    assert {c.value for c in LotProductType} == {m.value for m in ArmProductType}
