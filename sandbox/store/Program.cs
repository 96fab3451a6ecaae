using Microsoft.Extensions.Configuration;
using Storebridge.Sandbox.Store;

// dotnet run --project sandbox/store -- --urls http://127.0.0.1:8001 --seed 42 [--size Medium] [--Faults:ErrorRate 0.05]
var switches = new Dictionary<string, string>
{
    ["--urls"] = "Url",
    ["--url"] = "Url",
    ["--seed"] = "Seed",
    ["--size"] = "Size",
    ["--store-id"] = "StoreId",
    ["--consumer-key"] = "ConsumerKey",
    ["--consumer-secret"] = "ConsumerSecret",
    ["--webhook-secret"] = "WebhookSecret",
    ["--batch-limit"] = "BatchLimit",
    ["--strict-http-auth"] = "StrictHttpAuth",
    ["--checkout-delay"] = "CheckoutPaymentDelay",
};
var configuration = new ConfigurationBuilder()
    .AddEnvironmentVariables("STORE_")
    .AddCommandLine(args, switches)
    .Build();
var options = new StoreSimulatorOptions { Url = "http://127.0.0.1:8001", Size = Storebridge.Sandbox.Seed.SandboxSize.Medium };
configuration.Bind(options);

await using var store = await StoreSimulator.StartAsync(options);
Console.WriteLine($"WooCommerce store simulator '{options.StoreId}' (seed {options.Seed}, {options.Size}) at {store.BaseUrl} — REST {store.BaseUrl}wp-json/wc/v3/, admin {store.BaseUrl}__admin/state");
await store.WaitForShutdownAsync();
