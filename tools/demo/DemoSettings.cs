namespace Storebridge.Demo;

/// <summary>Where the local stack listens and the credentials scripts/demo.sh hands over (from .data/local-secrets.json).</summary>
internal sealed record DemoSettings(
    Uri Store, Uri Erp, Uri Orders, Uri OrdersGrpc, Uri Inventory,
    string ApiKey, string ErpApiKey, string ErpApiSecret, string StoreConsumerKey, string StoreConsumerSecret)
{
    public static DemoSettings FromEnvironment() => new(
        new Uri(Env("DEMO_STORE_URL", "http://127.0.0.1:8001/")),
        new Uri(Env("DEMO_ERP_URL", "http://127.0.0.1:8002/")),
        new Uri(Env("DEMO_ORDERS_URL", "http://127.0.0.1:5101/")),
        new Uri(Env("DEMO_ORDERS_GRPC_URL", "http://127.0.0.1:6101/")),
        new Uri(Env("DEMO_INVENTORY_URL", "http://127.0.0.1:5102/")),
        Required("DEMO_API_KEY"),
        Required("DEMO_ERP_API_KEY"),
        Required("DEMO_ERP_API_SECRET"),
        Required("SHOPPER_ConsumerKey"),
        Required("SHOPPER_ConsumerSecret"));

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

    private static string Required(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{name} is not set; run the demo with `make demo`.");
}
