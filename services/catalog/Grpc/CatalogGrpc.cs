using Storebridge.Contracts.Catalog.V1;

namespace Storebridge.Catalog.Grpc;

/// <summary>
/// The catalog service's gRPC API. Methods not overridden here answer <c>Unimplemented</c>; they arrive with
/// the catalog issue: QuotePrices and CheckCredit.
/// </summary>
public sealed class CatalogGrpc : CatalogService.CatalogServiceBase;
