using System.Collections.Concurrent;
using Storebridge.Sandbox.Erp.Erp;
using Storebridge.Sandbox.Erp.Faults;
using Storebridge.Sandbox.Erp.Frappe;
using Storebridge.Sandbox.Seed;

namespace Storebridge.Sandbox.Erp;

/// <summary>Everything one simulator instance holds: documents, rules, faults, counters.</summary>
internal sealed class ErpState
{
    public const string UserKey = "frappe.user";

    public ErpState(ErpSimulatorOptions options, ILogger<ErpSimulator> logger)
    {
        Options = options;
        Time = options.TimeProvider;
        Data = SandboxCatalog.Generate(options.Seed, options.Size);
        Store = new DocStore(Time);
        Rules = new ErpRules(Store, Data.Company.Name, Data.Company.Currency);
        Faults = new FaultInjector(options.Faults, options.Seed, Time);
        Log = new SimulatorLog(logger);
        lock (Store.Sync)
        {
            SeedLoader.Load(Store, Rules, Data);
        }
    }

    public ErpSimulatorOptions Options { get; }

    public TimeProvider Time { get; }

    public SandboxData Data { get; }

    public DocStore Store { get; }

    public ErpRules Rules { get; }

    public FaultInjector Faults { get; }

    public RequestStats Stats { get; } = new();

    public SimulatorLog Log { get; }
}

/// <summary>Request counts per "METHOD /path" and per outcome, for tests that assert how often the ERP was called.</summary>
internal sealed class RequestStats
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public void Count(string route, int status) => _counts.AddOrUpdate($"{route} -> {status}", 1, (_, n) => n + 1);

    public SortedDictionary<string, int> Snapshot() => new(_counts, StringComparer.Ordinal);
}

/// <summary>Source-generated log messages of the simulator. Never logs credentials.</summary>
internal sealed partial class SimulatorLog(ILogger logger)
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Fault settings changed")]
    public partial void FaultsChanged();

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Shipped sales order {SalesOrder} with delivery note {DeliveryNote}")]
    public partial void Shipped(string salesOrder, string deliveryNote);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Unhandled error on {Route}")]
    public partial void Unhandled(Exception exception, string route);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "ERP simulator listening on {BaseUrl} (seed {Seed}, size {Size})")]
    public partial void Started(string baseUrl, int seed, SandboxSize size);
}
