using Storebridge.Inventory.Domain;

namespace Storebridge.Inventory.Ingest;

/// <summary>One page of ERP stock changes.</summary>
/// <param name="Levels">Stock levels changed since the cursor.</param>
/// <param name="NextCursor">Where the next read starts.</param>
/// <param name="HasMore">Whether another page is ready at once.</param>
public sealed record ErpStockPage(IReadOnlyList<ErpStockLevel> Levels, string? NextCursor, bool HasMore);

/// <summary>
/// The ERP's stock as the inventory needs it: a change feed and a direct read. A small seam of this service so the
/// state logic can be tested without an ERP; production uses <see cref="ErpSystemStockFeed"/>.
/// </summary>
public interface IErpStockFeed
{
    /// <summary>Whether an ERP is configured.</summary>
    bool IsConfigured { get; }

    /// <summary>Stock levels changed since <paramref name="cursor"/> (null: everything).</summary>
    Task<ErpStockPage> ReadChangesAsync(string? cursor, CancellationToken cancellationToken);

    /// <summary>The current levels of some SKUs, stamped with a time no earlier than the read began.</summary>
    Task<IReadOnlyList<ErpStockLevel>> ReadLevelsAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken);
}

/// <summary>No ERP configured: nothing to poll (stock then arrives only as <c>erp.stock-changed</c> events).</summary>
internal sealed class NoErpStockFeed : IErpStockFeed
{
    public bool IsConfigured => false;

    public Task<ErpStockPage> ReadChangesAsync(string? cursor, CancellationToken cancellationToken) =>
        Task.FromResult(new ErpStockPage([], cursor, HasMore: false));

    public Task<IReadOnlyList<ErpStockLevel>> ReadLevelsAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ErpStockLevel>>([]);
}
