using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Storebridge.Returns.Grpc;
using Storebridge.Testing;

namespace Storebridge.Returns.Tests;

public class HostTests : GrpcServiceHostContract<ReturnsGrpc>
{
    protected override ServiceDescriptor GrpcService => Storebridge.Contracts.Returns.V1.ReturnsService.Descriptor;
}
