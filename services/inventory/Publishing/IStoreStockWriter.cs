namespace Storebridge.Inventory.Publishing;

/// <summary>A stock quantity to show in a store.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Quantity">Units the store may sell.</param>
public sealed record StockPush(string Sku, long Quantity);

/// <summary>Writes stock quantities into a store (WooCommerce in production).</summary>
public interface IStoreStockWriter
{
    /// <summary>Whether this writer can reach the store (stores without a connection are not pushed to).</summary>
    bool Handles(string storeId);

    /// <summary>Sets the quantities; returns the SKUs that failed and should be tried again.</summary>
    Task<IReadOnlyList<string>> PushAsync(string storeId, IReadOnlyList<StockPush> items, CancellationToken cancellationToken);
}
