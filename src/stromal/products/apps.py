from __future__ import annotations

from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "stromal.products"
    label = "products"
    verbose_name = "Cell and exosome products"
