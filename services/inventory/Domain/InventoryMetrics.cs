using System.Diagnostics.Metrics;

namespace Storebridge.Inventory.Domain;

/// <summary>Business metrics of the inventory (meter <c>Storebridge.Inventory</c>, exported by the service defaults).</summary>
public static class InventoryMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "Storebridge.Inventory";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Reserve calls by outcome (<c>reserved</c>, <c>short</c>, <c>repeat</c>).</summary>
    public static readonly Counter<long> Reservations = Meter.CreateCounter<long>("storebridge.inventory.reservations");

    /// <summary>State writes lost to another writer (ETag mismatch) and retried.</summary>
    public static readonly Counter<long> StateConflicts = Meter.CreateCounter<long>("storebridge.inventory.state_conflicts");

    /// <summary>Stock push calls to stores, and the items they carried.</summary>
    public static readonly Counter<long> StorePushes = Meter.CreateCounter<long>("storebridge.inventory.store_pushes");

    /// <summary>Items pushed to stores.</summary>
    public static readonly Counter<long> StorePushItems = Meter.CreateCounter<long>("storebridge.inventory.store_push_items");
}
