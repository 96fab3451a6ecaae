namespace Storebridge.Inventory.Domain;

/// <summary>Settings under <c>Inventory</c>: store routing, safety stock, hold times and the background loops.</summary>
public sealed class InventoryOptions
{
    public const string Section = "Inventory";

    /// <summary>Dapr state store holding the inventory's documents.</summary>
    public string StateStore { get; set; } = "statestore";

    /// <summary>Store id → which warehouses serve it, in the order reservations draw from them.</summary>
    public Dictionary<string, StoreRouting> Stores { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Safety stock kept back per warehouse row.</summary>
    public SafetyStockOptions SafetyStock { get; set; } = new();

    /// <summary>SKU → category, for category-level safety stock.</summary>
    public Dictionary<string, string> SkuCategories { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long an uncommitted reservation is held when the caller does not say.</summary>
    public TimeSpan DefaultHold { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Longest hold a caller may ask for.</summary>
    public TimeSpan MaxHold { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// A committed hold stops counting once an ERP snapshot taken at least this long after the commit arrives;
    /// the margin absorbs clock skew between the ERP and this service (erring towards under-selling).
    /// </summary>
    public TimeSpan CommitCoverageMargin { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often expired reservations are swept (0 disables the sweep).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the ERP (<c>Storebridge:Erp</c>) is polled for stock changes (0 disables polling).</summary>
    public TimeSpan ErpPollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Committed holds not yet covered by an ERP snapshot after this long get a direct read of their SKUs' levels at
    /// the next sweep (the change feed only returns rows that change again).
    /// </summary>
    public TimeSpan CommitRefreshAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long changes for a store are gathered before they are pushed (coalescing window).</summary>
    public TimeSpan PublishWindow { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Items per store stock push (WooCommerce's batch limit is 100).</summary>
    public int PublishBatchSize { get; set; } = 100;

    /// <summary>
    /// Lease on pushing to a store (<c>pusher-lease|{storeId}</c>): only its holder pushes, so two replicas never race
    /// on one SKU. If the holder dies, another replica takes over within this time.
    /// </summary>
    public TimeSpan PusherLease { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often each replica looks at the leases of its stores: the holder takes the SKUs other replicas handed it,
    /// the others try to acquire the lease.
    /// </summary>
    public TimeSpan PusherCheckInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// An outbox event older than this that this replica has not published itself is published again by the sweep
    /// (its writer probably crashed before publishing; a duplicate carries the same CloudEvent id).
    /// </summary>
    public TimeSpan OutboxRepublishAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reserve calls decided together in one bulk read and one state transaction, at most.</summary>
    public int ReserveBatchSize { get; set; } = 64;

    /// <summary>Attempts of an optimistic (ETag) state update before the caller gets <c>Aborted</c>.</summary>
    public int MaxConcurrencyAttempts { get; set; } = 200;
}

/// <summary>The warehouses that serve one store.</summary>
public sealed class StoreRouting
{
    /// <summary>Warehouse ids in allocation order.</summary>
    public List<string> Warehouses { get; set; } = [];
}

/// <summary>Safety stock: per SKU first, then per category, then the default.</summary>
public sealed class SafetyStockOptions
{
    public long Default { get; set; }

    public Dictionary<string, long> Skus { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> Categories { get; set; } = new(StringComparer.Ordinal);
}
