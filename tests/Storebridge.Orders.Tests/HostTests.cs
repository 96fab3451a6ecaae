using Storebridge.Orders.Grpc;
using Storebridge.Testing;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Storebridge.Orders.Tests;

public class HostTests : GrpcServiceHostContract<OrdersGrpc>
{
    protected override ServiceDescriptor GrpcService => Storebridge.Contracts.Orders.V1.OrdersService.Descriptor;

    protected override IDictionary<string, string?> Settings { get; } = OrdersSettings.Minimal();
}

/// <summary>The settings the orders service refuses to start without: one store and the ERP (test credentials).</summary>
internal static class OrdersSettings
{
    public static Dictionary<string, string?> Minimal(string storeUrl = "http://127.0.0.1:9/", string erpUrl = "http://127.0.0.1:9/") => new()
    {
        ["WooCommerce:Stores:s1:BaseUrl"] = storeUrl,
        ["WooCommerce:Stores:s1:ConsumerKey"] = "ck_test",
        ["WooCommerce:Stores:s1:ConsumerSecret"] = "cs_test",
        ["WooCommerce:Stores:s1:WebhookSecret"] = "whsec_test",
        ["Storebridge:Erp:BaseUrl"] = erpUrl,
        ["Storebridge:Erp:ApiKey"] = "erp-key",
        ["Storebridge:Erp:ApiSecret"] = "erp-secret",
    };
}
