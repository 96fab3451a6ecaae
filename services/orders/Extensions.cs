namespace Storebridge.Orders;

/// <summary>Everything the orders service registers beyond the shared hosting defaults.</summary>
public static class Extensions
{
    /// <summary>Registers the orders service's own dependencies.</summary>
    public static IHostApplicationBuilder AddOrdersServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }
}
