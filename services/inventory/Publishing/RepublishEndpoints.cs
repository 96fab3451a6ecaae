using Storebridge.Inventory.Domain;

namespace Storebridge.Inventory.Publishing;

/// <summary>Operations endpoints for a full re-publish of a store (authenticated callers only, by the default policy).</summary>
public static class RepublishEndpoints
{
    /// <summary>Maps <c>POST</c> (start) and <c>GET</c> (progress) on <c>/inventory/stores/{storeId}/republish</c>.</summary>
    public static IEndpointRouteBuilder MapRepublishEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/inventory/stores/{storeId}/republish", async (string storeId, RepublishService republish, CancellationToken cancellationToken) =>
        {
            try
            {
                var progress = await republish.StartAsync(storeId, cancellationToken);
                return Results.Accepted($"/inventory/stores/{storeId}/republish", progress);
            }
            catch (InventoryException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown store", detail: ex.Message);
            }
        });

        endpoints.MapGet("/inventory/stores/{storeId}/republish", (string storeId, RepublishService republish) =>
            republish.Progress(storeId) is { } progress
                ? Results.Ok(progress)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No re-publish", detail: $"No re-publish of store {storeId} was started on this instance."));
        return endpoints;
    }
}
