"""TMF620 Product Catalog Management, v4 and v5: catalogs, categories, offerings, prices,
specifications, and the import and export jobs; v5 is v4's store seen through its mapping
(v5.py)."""

import dataclasses

from tmf_apis.registry import ALL, ANY, READ, Api, Resource
from tmf_apis.tmf620 import rules
from tmf_apis.tmf620.jobs import ExportJobRules, ImportJobRules, start_runner
from tmf_apis.tmf620.v5 import CatalogV5

# Attributes every catalog entity is listed and filtered by (the CTK filters on each of them).
_LISTED = ("name", "lifecycleStatus", "lastUpdate", "version")
_CATALOG_OWNED = ("id", "href", "lastUpdate")
_JOB_OWNED = ("id", "href", "status", "creationDate", "completionDate", "errorLog")

CATALOG = Resource(
    schema="Catalog",
    path="catalog",
    collection="catalog",
    server_owned=_CATALOG_OWNED,
    indexes=(*_LISTED, "category.id"),
    rules=rules.CatalogEntityRules(),
)
# v5 names the catalog ProductCatalog, at /productCatalog: the same documents and events.
PRODUCT_CATALOG = dataclasses.replace(
    CATALOG, schema="ProductCatalog", path="productCatalog", stored_as=CATALOG.schema
)
CATEGORY = Resource(
    schema="Category",
    path="category",
    collection="category",
    # The tree is the server's to keep: `isRoot` and `subCategory` follow from `parentId`.
    server_owned=(*_CATALOG_OWNED, "isRoot", "subCategory"),
    indexes=(*_LISTED, "parentId", "isRoot", "productOffering.id"),
    rules=rules.CategoryRules(),
)
PRODUCT_OFFERING = Resource(
    schema="ProductOffering",
    path="productOffering",
    collection="product_offering",
    server_owned=_CATALOG_OWNED,
    indexes=(
        *_LISTED,
        "isBundle",
        "productSpecification.id",
        "productOfferingPrice.id",
        "bundledProductOffering.id",
        "productOfferingRelationship.id",
        "category.id",
    ),
    rules=rules.OfferingRules(),
    versioned=True,
)
PRODUCT_OFFERING_PRICE = Resource(
    schema="ProductOfferingPrice",
    path="productOfferingPrice",
    collection="product_offering_price",
    server_owned=_CATALOG_OWNED,
    indexes=(*_LISTED, "priceType", "bundledPopRelationship.id", "popRelationship.id"),
    rules=rules.PriceRules(),
    versioned=True,
)
PRODUCT_SPECIFICATION = Resource(
    schema="ProductSpecification",
    path="productSpecification",
    collection="product_specification",
    server_owned=_CATALOG_OWNED,
    indexes=(
        *_LISTED,
        "productNumber",
        "bundledProductSpecification.id",
        "productSpecificationRelationship.id",
    ),
    rules=rules.SpecificationRules(),
    versioned=True,
)
IMPORT_JOB = Resource(
    schema="ImportJob",
    path="importJob",
    collection="import_job",
    server_owned=_JOB_OWNED,
    indexes=("status", "creationDate"),
    rules=ImportJobRules(),
)
EXPORT_JOB = Resource(
    schema="ExportJob",
    path="exportJob",
    collection="export_job",
    server_owned=(*_JOB_OWNED, "url"),
    indexes=("status", "creationDate"),
    rules=ExportJobRules(),
)

API = Api(
    tmf="TMF620",
    name="productCatalogManagement",
    title="Product Catalog Management",
    version="v4",
    spec="TMF620-ProductCatalog-v4.yaml",
    # 4.1.0 is the one the spec follows; 4.0.0 clients (and its kit) work too.
    official=(
        "TMF620-ProductCatalog-v4.1.0.swagger.json",
        "TMF620-ProductCatalog-v4.0.0.swagger.json",
    ),
    ctk="TMF620-ProductCatalog-v4.0.0",
    resources=(
        CATALOG,
        CATEGORY,
        PRODUCT_OFFERING,
        PRODUCT_OFFERING_PRICE,
        PRODUCT_SPECIFICATION,
        IMPORT_JOB,
        EXPORT_JOB,
    ),
    background=start_runner,
    grants={
        "catalog_manager": {ANY: ALL},
        # Those who sell, fulfil and settle read the entities, not the import and export jobs
        # (their files are the operator's, named by paths on its servers).
        **{
            role: {
                r.path: frozenset({READ})
                for r in (
                    CATALOG,
                    PRODUCT_CATALOG,
                    CATEGORY,
                    PRODUCT_OFFERING,
                    PRODUCT_OFFERING_PRICE,
                    PRODUCT_SPECIFICATION,
                )
            }
            for role in ("channel", "fulfilment", "partner")
        },
    },
)

# v5 (5.0.0): the same entities in v5's shape; its root keeps v4's API name, as its file does.
API_V5 = dataclasses.replace(
    API,
    version="v5",
    spec="TMF620-ProductCatalog-v5.yaml",
    official=("TMF620-Product_Catalog_Management-v5.0.0.oas.yaml",),
    ctk=None,
    resources=tuple(PRODUCT_CATALOG if r is CATALOG else r for r in API.resources),
    mapping=CatalogV5(),
)
EDITIONS = (API, API_V5)
