using Storebridge.Catalog.Grpc;
using Storebridge.Testing;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Storebridge.Catalog.Tests;

public class HostTests : GrpcServiceHostContract<CatalogGrpc>
{
    protected override ServiceDescriptor GrpcService => Storebridge.Contracts.Catalog.V1.CatalogService.Descriptor;

    protected override IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Storebridge:Erp:BaseUrl"] = "http://127.0.0.1:9/",
        ["Storebridge:Erp:ApiKey"] = "erp-key",
        ["Storebridge:Erp:ApiSecret"] = "erp-secret",
    };
}
