using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Storebridge.Erp.ErpNext;
using Storebridge.Sandbox.Erp;
using Storebridge.Sandbox.Seed;

namespace Storebridge.Erp.Tests;

/// <summary>The adapter wired as a service would wire it, pointed at an in-process ERP simulator.</summary>
internal sealed class ErpHarness : IAsyncDisposable
{
    public const string Newark = "Newark DC - SBD";

    private readonly ServiceProvider _services;

    private ErpHarness(ErpSimulator simulator, ServiceProvider services)
    {
        Simulator = simulator;
        _services = services;
        Erp = services.GetRequiredService<IErpSystem>();
        Admin = new HttpClient { BaseAddress = simulator.BaseUrl };
    }

    public ErpSimulator Simulator { get; }

    public IErpSystem Erp { get; }

    public HttpClient Admin { get; }

    public SandboxData Data => Simulator.Data;

    public static async Task<ErpHarness> StartAsync(Action<ErpNextOptions>? configure = null, Action<ErpSimulatorOptions>? simulator = null)
    {
        var simulatorOptions = new ErpSimulatorOptions { Size = SandboxSize.Small };
        simulator?.Invoke(simulatorOptions);
        var erp = await ErpSimulator.StartAsync(simulatorOptions, TestContext.Current.CancellationToken);
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddErpNext(o =>
        {
            o.BaseUrl = erp.BaseUrl;
            o.ApiKey = erp.ApiKey;
            o.ApiSecret = erp.ApiSecret;
            o.Company = erp.Data.Company.Name;
            o.TaxAccount = "Sales Tax - SBD";
            o.PageSize = 100;
            o.MaxRetries = 2;
            o.RetryDelay = TimeSpan.FromMilliseconds(5);
            o.CreateAttempts = 3;
            configure?.Invoke(o);
        });
        return new ErpHarness(erp, services.BuildServiceProvider(validateScopes: true));
    }

    public string StockedSku(int minimum = 10) =>
        Data.Stock.First(s => s.WarehouseId == Newark && s.OnHand >= minimum
            && Data.Sellables.Single(x => x.Sku == s.Sku) is var x && !x.Item.Disabled && x.Variant?.Disabled != true).Sku;

    public string GoodBusiness() =>
        Data.Customers.First(c => c.Kind == SeedCustomerKind.Business && c.Currency == "USD" && c.AvailableCredit > 10_000m).Id;

    public string ExhaustedBusiness() =>
        Data.Customers.First(c => c.Kind == SeedCustomerKind.Business && c.AvailableCredit < c.CreditLimit * 0.1m).Id;

    public SalesOrderRequest Order(string externalRef, string customer, string sku, int quantity = 2, decimal? price = null) =>
        new(externalRef, customer, "USD", new DateOnly(2030, 1, 31), [new SalesOrderLineRequest(sku, quantity, Newark, price)]);

    /// <summary>Request counts per "METHOD /path -> status" from the simulator.</summary>
    public async Task<Dictionary<string, int>> StatsAsync()
    {
        var stats = await Admin.GetFromJsonAsync<Dictionary<string, int>>("__admin/stats", TestContext.Current.CancellationToken);
        return stats!;
    }

    public static int Count(Dictionary<string, int> stats, string routePrefix) =>
        stats.Where(s => s.Key.StartsWith(routePrefix, StringComparison.Ordinal)).Sum(s => s.Value);

    public async Task PostAdminAsync(string path, object body)
    {
        using var response = await Admin.PostAsJsonAsync(path, body, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _services.DisposeAsync();
        await Simulator.DisposeAsync();
    }
}
