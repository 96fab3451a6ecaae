using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using Storebridge.Contracts.Orders.V1;
using Storebridge.Sandbox.Erp.Faults;
using Storebridge.Sidecar.Hosting;
using Storebridge.Testing;

namespace Storebridge.EndToEnd.Tests;

/// <summary>
/// The orders service killed with SIGKILL in the middle of a saga (while the ERP call is in flight) and started
/// again: the order completes, with one ERP sales order. Orders runs as its own process here, next to its runtime.
/// </summary>
public sealed class OrdersCrashTests : IAsyncLifetime
{
    private StorebridgeSystem _system = null!;

    public async ValueTask InitializeAsync() => _system = await StorebridgeSystem.StartAsync();

    public async ValueTask DisposeAsync() => await _system.DisposeAsync();

    [Fact]
    public async Task Orders_killed_mid_saga_completes_the_order_after_restart_with_one_erp_order()
    {
        // A second orders deployment in its own process, with its own runtime on the same store and broker; the
        // in-process orders of the system is stopped so only the process owns the workflows from here on.
        await _system.Orders.DisposeAsync();
        var resourcesDir = _system.ResourcesDirectory;
        var dataDir = _system.DataDirectory;
        var appPort = ReservedPort.Next();
        var publicPort = ReservedPort.Next();
        await using var sidecar = await SidecarHost.StartAsync(new SidecarOptions
        {
            AppId = "orders",
            AppPort = appPort,
            AppProtocol = "h2c",
            ResourcesPaths = [resourcesDir],
            DataDir = dataDir,
            AppApiToken = ServiceHost<Storebridge.Orders.Grpc.OrdersGrpc>.AppToken,
            ConfigFile = RepositoryConfig.Orders,
        }, TestContext.Current.CancellationToken);

        var environment = _system.OrdersSettings(publicPort);
        environment["APP_ID"] = "orders";
        environment["DAPR_HTTP_ENDPOINT"] = sidecar.HttpEndpoint;
        environment["DAPR_GRPC_ENDPOINT"] = sidecar.GrpcEndpoint;
        environment["Storebridge:Listen:AppPort"] = appPort.ToString(CultureInfo.InvariantCulture);
        environment["Storebridge:Listen:PublicPort"] = publicPort.ToString(CultureInfo.InvariantCulture);
        environment["APP_API_TOKEN"] = ServiceHost<Storebridge.Orders.Grpc.OrdersGrpc>.AppToken;
        environment["Storebridge:Auth:ApiKeys:tests"] = ServiceHost<Storebridge.Orders.Grpc.OrdersGrpc>.ApiKey;

        using var first = StartOrders(environment);
        await sidecar.AppReady.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        // Slow ERP: the saga sits inside the sales order call when it is killed.
        _system.Erp.Faults = new ErpFaults { Latency = new LatencyFault { MinMs = 3000, MaxMs = 3000 } };
        var orderId = await _system.CheckoutAsync(_system.Catalog.Sellables.First(s => _system.Store.Stock(s.Sku)?.StockQuantity >= 5).Sku, 1);
        var orderRef = $"{StorebridgeSystem.StoreId}-{orderId}";
        // The store's webhooks still point at the stopped deployment: the sweep of this one finds the order.
        await SweepAsync(publicPort);
        await Eventually.TrueAsync(async () => (await GetStateAsync(appPort, orderRef)) == OrderState.AwaitingErpAck, TimeSpan.FromSeconds(60));
        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync(TestContext.Current.CancellationToken);

        _system.Erp.Faults = new ErpFaults();
        using var second = StartOrders(environment);
        try
        {
            await Eventually.TrueAsync(async () => (await GetStateAsync(appPort, orderRef)) == OrderState.AwaitingShipment, TimeSpan.FromSeconds(90));
        }
        finally
        {
            second.Kill(entireProcessTree: true);
        }

        Assert.Single(await _system.ErpSalesOrdersAsync(orderRef));
    }

    private static async Task SweepAsync(int publicPort)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{publicPort}") };
        http.DefaultRequestHeaders.Add("dapr-api-token", ServiceHost<Storebridge.Orders.Grpc.OrdersGrpc>.AppToken);
        (await http.PostAsync($"/{Storebridge.Orders.Intake.ReconciliationSweep.BindingName}", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
    }

    private static Process StartOrders(Dictionary<string, string?> settings)
    {
        var start = new ProcessStartInfo("dotnet", Path.Combine(RepositoryRoot(), "artifacts", "bin", "Storebridge.Orders", "debug", "Storebridge.Orders.dll"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.Combine(RepositoryRoot(), "services", "orders"),
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Storebridge.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the tests from inside the repository.");
    }

    private static async Task<OrderState?> GetStateAsync(int appPort, string orderRef)
    {
        try
        {
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{appPort}");
            var client = new OrdersService.OrdersServiceClient(channel);
            var response = await client.GetOrderAsync(new GetOrderRequest { OrderRef = orderRef },
                new Metadata { { "x-api-key", ServiceHost<Storebridge.Orders.Grpc.OrdersGrpc>.ApiKey } },
                deadline: DateTime.UtcNow.AddSeconds(5));
            return response.Order.State;
        }
        catch (RpcException)
        {
            return null;
        }
    }
}
