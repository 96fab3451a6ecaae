using Storebridge.Contracts.Inventory.V1;

namespace Storebridge.Inventory.Grpc;

/// <summary>
/// The inventory service's gRPC API. Methods not overridden here answer <c>Unimplemented</c>; they arrive with
/// issue 6 (inventory): Reserve, Commit, Release and GetAvailability.
/// </summary>
public sealed class InventoryGrpc : InventoryService.InventoryServiceBase;
