using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Storebridge.Orders.Grpc;
using Storebridge.Testing;

namespace Storebridge.Orders.Tests;

public class HostTests : GrpcServiceHostContract<OrdersGrpc>
{
    protected override ServiceDescriptor GrpcService => Storebridge.Contracts.Orders.V1.OrdersService.Descriptor;
}
