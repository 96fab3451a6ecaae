using System.Net;
using System.Net.Sockets;
using Dapr.Client;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Storebridge.Contracts.Inventory.V1;
using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Grpc;
using Storebridge.Inventory.Ingest;
using Storebridge.Inventory.Publishing;
using Storebridge.Inventory.Reservations;
using Storebridge.Inventory.State;
using Storebridge.Sidecar.Hosting;
using Storebridge.Testing;

namespace Storebridge.Inventory.Tests;

/// <summary>A temporary resources folder (state store + pub/sub) and data directory for the local runtime.</summary>
internal sealed class RuntimeFolder : IDisposable
{
    public RuntimeFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "inventory-tests", Guid.NewGuid().ToString("N"));
        ResourcesDir = Path.Combine(Root, "resources");
        DataDir = Path.Combine(Root, "data");
        Directory.CreateDirectory(ResourcesDir);
        File.WriteAllText(Path.Combine(ResourcesDir, "statestore.yaml"), Component("statestore", "state.sqlite"));
        File.WriteAllText(Path.Combine(ResourcesDir, "pubsub.yaml"), Component("pubsub", "pubsub.in-memory"));
    }

    public string Root { get; }

    public string ResourcesDir { get; }

    public string DataDir { get; }

    private static string Component(string name, string type) =>
        $"apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: {type}\n  version: v1\n  metadata: []\n";

    public SidecarOptions Options(int? appPort = null, int httpPort = 0, int grpcPort = 0, TimeProvider? time = null) => new()
    {
        TimeProvider = time ?? TimeProvider.System,
        AppId = "inventory",
        AppPort = appPort,
        AppProtocol = appPort is null ? "http" : "h2c",
        HttpPort = httpPort,
        GrpcPort = grpcPort,
        ResourcesPaths = [ResourcesDir],
        DataDir = DataDir,
        AppApiToken = ServiceHost<InventoryGrpc>.AppToken,
        LogLevel = LogLevel.Warning,
        PollInterval = TimeSpan.FromMilliseconds(50),
        ConfigureLogging = l => l.ClearProviders(),
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static int FreePort() => Storebridge.Testing.ReservedPort.Next();
}

/// <summary>Settings every inventory test uses: two stores over two warehouses.</summary>
internal static class TestSettings
{
    public static readonly Dictionary<string, string?> Inventory = new()
    {
        ["Inventory:Stores:web:Warehouses:0"] = "wh-a",
        ["Inventory:Stores:web:Warehouses:1"] = "wh-b",
        ["Inventory:Stores:outlet:Warehouses:0"] = "wh-b",
        ["Inventory:SafetyStock:Default"] = "0",
        ["Inventory:SafetyStock:Skus:SKU-SAFE"] = "2",
        ["Inventory:SweepInterval"] = "00:00:00",
        ["Inventory:PublishWindow"] = "00:00:00.020",
    };

    public static InventoryOptions Options() => new()
    {
        Stores =
        {
            ["web"] = new StoreRouting { Warehouses = ["wh-a", "wh-b"] },
            ["outlet"] = new StoreRouting { Warehouses = ["wh-b"] },
        },
        SafetyStock = new SafetyStockOptions { Skus = { ["SKU-SAFE"] = 2 } },
        PublishWindow = TimeSpan.FromMilliseconds(20),
        SweepInterval = TimeSpan.Zero,
    };
}

/// <summary>
/// The inventory service running from its real Program on Kestrel, with its own local Dapr runtime (tools/sidecar)
/// that delivers its subscriptions over h2c. Several instances on one data directory share one state store, as
/// replicas share one in production.
/// </summary>
internal sealed class InventoryInstance : IAsyncDisposable
{
    private InventoryInstance(ServiceHost<InventoryGrpc> host, SidecarHost sidecar, GrpcChannel channel)
    {
        Host = host;
        Sidecar = sidecar;
        Channel = channel;
        var headers = new Metadata { { "x-api-key", ServiceHost<InventoryGrpc>.ApiKey } };
        Client = new InventoryService.InventoryServiceClient(channel.Intercept(m =>
        {
            foreach (var header in headers)
            {
                m.Add(header);
            }

            return m;
        }));
        Dapr = new DaprClientBuilder().UseGrpcEndpoint(sidecar.GrpcEndpoint).UseHttpEndpoint(sidecar.HttpEndpoint).Build();
    }

    public ServiceHost<InventoryGrpc> Host { get; }

    public SidecarHost Sidecar { get; }

    public GrpcChannel Channel { get; }

    public InventoryService.InventoryServiceClient Client { get; }

    /// <summary>A Dapr client of this instance's runtime (to publish ERP events, read state).</summary>
    public DaprClient Dapr { get; }

    public static async Task<InventoryInstance> StartAsync(RuntimeFolder folder, CancellationToken cancellationToken)
    {
        var httpPort = RuntimeFolder.FreePort();
        var grpcPort = RuntimeFolder.FreePort();
        var settings = new Dictionary<string, string?>(TestSettings.Inventory)
        {
            ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{httpPort}",
            ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{grpcPort}",
        };
        var host = new ServiceHost<InventoryGrpc>(settings);
        var sidecar = await SidecarHost.StartAsync(folder.Options(host.AppAddress.Port, httpPort, grpcPort), cancellationToken);
        host.Start();
        await sidecar.AppReady.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        return new InventoryInstance(host, sidecar, GrpcChannel.ForAddress(host.AppAddress));
    }

    public async ValueTask DisposeAsync()
    {
        Dapr.Dispose();
        Channel.Dispose();
        await Host.DisposeAsync();
        await Sidecar.DisposeAsync();
    }
}

/// <summary>
/// The inventory's state logic wired by hand over a local runtime, with a fake clock: for expiry, ingest, publishing
/// and re-publish tests that need to move time or watch the store writer.
/// </summary>
internal sealed class InventoryParts : IAsyncDisposable
{
    private InventoryParts(SidecarHost sidecar, InventoryOptions options, RecordingStoreWriter writer, FakeTimeProvider? time)
    {
        Sidecar = sidecar;
        Time = time ?? NewClock();
        Dapr = new DaprClientBuilder().UseGrpcEndpoint(sidecar.GrpcEndpoint).UseHttpEndpoint(sidecar.HttpEndpoint).Build();
        Options = options;
        Rules = new StockRules(options);
        State = new InventoryState(Dapr, Microsoft.Extensions.Options.Options.Create(options));
        Queue = new StorePushQueue();
        Events = new RecordingTransport(new DaprEventTransport(sidecar.GrpcEndpoint, apiToken: null));
        Publisher = new AvailabilityPublisher(Events, Queue, NullLogger<AvailabilityPublisher>.Instance);
        Reservations = new ReservationService(State, Rules, Publisher, Time, NullLogger<ReservationService>.Instance);
        Ingest = new StockIngest(State, Rules, Publisher, Time, NullLogger<StockIngest>.Instance);
        Erp = new ScriptedErpFeed(Time);
        Outbox = new OutboxRecovery(State, Publisher, Rules, Time, NullLogger<OutboxRecovery>.Instance);
        Sweeper = new ExpirySweeper(State, Reservations, Ingest, Erp, Outbox, Rules, Time, NullLogger<ExpirySweeper>.Instance);
        Writer = writer;
        StorePublisher = new StorePublisher(Queue, State, Rules, writer, Time, NullLogger<StorePublisher>.Instance);
        Republish = new RepublishService(State, Rules, Queue, Time);
    }

    public SidecarHost Sidecar { get; }

    public DaprClient Dapr { get; }

    public FakeTimeProvider Time { get; }

    /// <summary>Events as they are handed to the runtime (and a switch to withhold them, as a crash would).</summary>
    public RecordingTransport Events { get; }

    public OutboxRecovery Outbox { get; }

    public InventoryOptions Options { get; }

    public StockRules Rules { get; }

    public InventoryState State { get; }

    public StorePushQueue Queue { get; }

    public AvailabilityPublisher Publisher { get; }

    public ReservationService Reservations { get; }

    public StockIngest Ingest { get; }

    public ExpirySweeper Sweeper { get; }

    /// <summary>The ERP as the sweeper and poller see it.</summary>
    public ScriptedErpFeed Erp { get; }

    public RecordingStoreWriter Writer { get; }

    public StorePublisher StorePublisher { get; }

    public RepublishService Republish { get; }

    /// <summary>
    /// Starts the parts over the folder's state; <paramref name="time"/> lets a "restarted" set or a second replica share
    /// the clock. With <paramref name="runtimeOnSameClock"/> the runtime's state TTL runs on that clock too.
    /// </summary>
    public static async Task<InventoryParts> StartAsync(
        RuntimeFolder folder, CancellationToken cancellationToken, RecordingStoreWriter? writer = null, FakeTimeProvider? time = null, bool runtimeOnSameClock = false)
    {
        time ??= NewClock();
        var sidecar = await SidecarHost.StartAsync(folder.Options(time: runtimeOnSameClock ? time : null), cancellationToken);
        return new InventoryParts(sidecar, TestSettings.Options(), writer ?? new RecordingStoreWriter(), time);
    }

    /// <summary>The fake clock every set starts on.</summary>
    public static FakeTimeProvider NewClock() => new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Applies ERP levels stamped with the fake clock's current time.</summary>
    public Task<int> StockAsync(string sku, string warehouse, long onHand, long erpReserved = 0) =>
        Ingest.ApplyAsync([new ErpStockLevel(sku, warehouse, onHand, erpReserved, Time.GetUtcNow())], TestContext.Current.CancellationToken);

    public async Task<long> AvailableAsync(string sku, string store)
    {
        var doc = await State.GetAsync<SkuStock>(InventoryState.SkuKey(sku), TestContext.Current.CancellationToken);
        return Rules.AvailableForStore(doc.Value!, store, Time.GetUtcNow());
    }

    public async ValueTask DisposeAsync()
    {
        await StorePublisher.StopAsync(CancellationToken.None);
        await Publisher.DisposeAsync();
        Events.Dispose();
        StorePublisher.Dispose();
        Dapr.Dispose();
        await Sidecar.DisposeAsync();
    }
}

/// <summary>
/// An ERP feed scripted by the test: changes are appended (the cursor is the index of the next one) and the current
/// level of each SKU is what the latest change said.
/// </summary>
internal sealed class ScriptedErpFeed(TimeProvider time) : IErpStockFeed
{
    private readonly List<ErpStockLevel> _changes = [];

    public List<string?> CursorsSeen { get; } = [];

    public bool IsConfigured => true;

    public void Add(string sku, long onHand, long erpReserved = 0, string warehouse = "wh-a") =>
        _changes.Add(new ErpStockLevel(sku, warehouse, onHand, erpReserved, time.GetUtcNow()));

    public Task<ErpStockPage> ReadChangesAsync(string? cursor, CancellationToken cancellationToken)
    {
        CursorsSeen.Add(cursor);
        var from = cursor is null ? 0 : int.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture);
        var asOf = time.GetUtcNow();
        var page = _changes.Skip(from).Select(l => l with { AsOf = asOf }).ToList();
        return Task.FromResult(new ErpStockPage(page, _changes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), HasMore: false));
    }

    public Task<IReadOnlyList<ErpStockLevel>> ReadLevelsAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken)
    {
        var asOf = time.GetUtcNow();
        IReadOnlyList<ErpStockLevel> levels = [.. _changes.Where(l => skus.Contains(l.Sku))
            .GroupBy(l => (l.Sku, l.WarehouseId)).Select(g => g.Last() with { AsOf = asOf })];
        return Task.FromResult(levels);
    }
}

/// <summary>
/// The runtime's pub/sub as the publisher sees it: records the events handed over, or withholds them all (as a
/// replica that crashed right after its state write never publishes).
/// </summary>
internal sealed class RecordingTransport(DaprEventTransport inner) : IEventTransport, IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<OutboxEvent> _sent = [];

    /// <summary>When set, every send fails and nothing reaches the runtime.</summary>
    public bool Withhold { get; set; }

    public IReadOnlyList<OutboxEvent> Sent
    {
        get
        {
            lock (_lock)
            {
                return [.. _sent];
            }
        }
    }

    public async Task<IReadOnlyList<string>> SendAsync(string topic, IReadOnlyList<OutboxEvent> events, CancellationToken cancellationToken)
    {
        if (Withhold)
        {
            throw new IOException("the process died before publishing (test)");
        }

        var failed = await inner.SendAsync(topic, events, cancellationToken);
        lock (_lock)
        {
            _sent.AddRange(events.Where(e => !failed.Contains(e.Id)));
        }

        return failed;
    }

    public void Dispose() => inner.Dispose();
}

/// <summary>A store that records every push and can be told to fail the next ones.</summary>
internal sealed class RecordingStoreWriter : IStoreStockWriter
{
    private readonly Lock _lock = new();
    private readonly List<IReadOnlyList<StockPush>> _calls = [];
    private readonly Dictionary<string, long> _shown = new(StringComparer.Ordinal);
    private readonly List<StockPush> _applied = [];
    private int _failNext;

    /// <summary>Gate the test opens to let a push proceed (null: never wait).</summary>
    public SemaphoreSlim? Gate { get; set; }

    public IReadOnlyList<IReadOnlyList<StockPush>> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>Every push the store accepted, in order.</summary>
    public IReadOnlyList<StockPush> Applied
    {
        get
        {
            lock (_lock)
            {
                return [.. _applied];
            }
        }
    }

    /// <summary>What the store shows per SKU.</summary>
    public long? Shown(string sku)
    {
        lock (_lock)
        {
            return _shown.TryGetValue(sku, out var v) ? v : null;
        }
    }

    public void FailNext(int calls) => Interlocked.Exchange(ref _failNext, calls);

    public bool Handles(string storeId) => storeId == "web";

    public async Task<IReadOnlyList<string>> PushAsync(string storeId, IReadOnlyList<StockPush> items, CancellationToken cancellationToken)
    {
        if (Gate is { } gate)
        {
            await gate.WaitAsync(cancellationToken);
        }

        lock (_lock)
        {
            _calls.Add(items);
        }

        if (Interlocked.Decrement(ref _failNext) >= 0)
        {
            throw new HttpRequestException("store unavailable (test)");
        }

        lock (_lock)
        {
            foreach (var item in items)
            {
                _shown[item.Sku] = item.Quantity;
                _applied.Add(item);
            }
        }

        return [];
    }
}

/// <summary>Waits for a condition the system reaches asynchronously (a delivery, a push); never asserts on elapsed time.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int timeoutSeconds = 20)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, int timeoutSeconds = 20) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeoutSeconds);
}
