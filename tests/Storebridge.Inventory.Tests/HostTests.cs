using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Storebridge.Inventory.Grpc;
using Storebridge.Testing;

namespace Storebridge.Inventory.Tests;

public class HostTests : GrpcServiceHostContract<InventoryGrpc>
{
    protected override ServiceDescriptor GrpcService => Storebridge.Contracts.Inventory.V1.InventoryService.Descriptor;
}
