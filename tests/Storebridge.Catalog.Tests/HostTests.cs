using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Storebridge.Catalog.Grpc;
using Storebridge.Testing;

namespace Storebridge.Catalog.Tests;

public class HostTests : GrpcServiceHostContract<CatalogGrpc>
{
    protected override ServiceDescriptor GrpcService => Storebridge.Contracts.Catalog.V1.CatalogService.Descriptor;
}
