namespace Storebridge.Inventory;

/// <summary>Everything the inventory service registers beyond the shared hosting defaults.</summary>
public static class Extensions
{
    /// <summary>Registers the inventory service's own dependencies.</summary>
    public static IHostApplicationBuilder AddInventoryServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }
}
