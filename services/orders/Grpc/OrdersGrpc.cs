using Storebridge.Contracts.Orders.V1;

namespace Storebridge.Orders.Grpc;

/// <summary>
/// The orders service's gRPC API. Methods not overridden here answer <c>Unimplemented</c>; they arrive with
/// issue 7 (order-to-cash): GetOrder, ListOrders and Replay.
/// </summary>
public sealed class OrdersGrpc : OrdersService.OrdersServiceBase;
