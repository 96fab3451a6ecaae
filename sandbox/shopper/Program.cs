using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Storebridge.Sandbox.Shopper;

// dotnet run --project sandbox/shopper -- --store http://127.0.0.1:8001 --rate 5 --duration 60 --spike 4 --spike-start 20 --spike-duration 10
var switches = new Dictionary<string, string>
{
    ["--store"] = "Store",
    ["--rate"] = "Rate",
    ["--max-orders"] = "MaxOrders",
    ["--spike"] = "SpikeMultiplier",
    ["--b2b"] = "B2BShare",
    ["--refunds"] = "RefundShare",
    ["--returns"] = "ReturnShare",
    ["--concurrency"] = "MaxConcurrency",
    ["--seed"] = "Seed",
    ["--consumer-key"] = "ConsumerKey",
    ["--consumer-secret"] = "ConsumerSecret",
    ["--duration"] = "DurationSeconds",
    ["--spike-start"] = "SpikeStartSeconds",
    ["--spike-duration"] = "SpikeDurationSeconds",
    ["--json"] = "Json",
};
var configuration = new ConfigurationBuilder().AddCommandLine(args, switches).Build();
var options = new ShopperOptions();
configuration.Bind(options);
if (configuration["DurationSeconds"] is { } duration)
{
    options.Duration = TimeSpan.FromSeconds(double.Parse(duration, System.Globalization.CultureInfo.InvariantCulture));
}

if (configuration["SpikeStartSeconds"] is { } spikeStart)
{
    options.SpikeStart = TimeSpan.FromSeconds(double.Parse(spikeStart, System.Globalization.CultureInfo.InvariantCulture));
}

if (configuration["SpikeDurationSeconds"] is { } spikeDuration)
{
    options.SpikeDuration = TimeSpan.FromSeconds(double.Parse(spikeDuration, System.Globalization.CultureInfo.InvariantCulture));
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    using var http = new HttpClient();
    var report = await new Shopper(options, http).RunAsync(cancel.Token);
    Console.WriteLine(configuration["Json"] is "true" or "1"
        ? JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true })
        : report.ToString());
    return report.OrdersPlaced > 0 || report.Attempted == 0 ? 0 : 1;
}
catch (Exception ex) when (ex is ArgumentException or HttpRequestException or InvalidOperationException)
{
    await Console.Error.WriteLineAsync($"shopper: {ex.Message}");
    return 2;
}
