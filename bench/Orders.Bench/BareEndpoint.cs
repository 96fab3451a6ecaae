using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Storebridge.Orders.Bench;

/// <summary>
/// The ceiling: a minimal ASP.NET Core endpoint in the same process that reads the whole body and answers 200, with
/// no signature check, storage or runtime behind it.
/// </summary>
internal static class BareEndpoint
{
    public static async Task<(WebApplication App, Uri Address)> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/webhooks/woocommerce/{storeId}", async (HttpRequest request) =>
        {
            var buffer = new byte[16 * 1024];
            while (await request.Body.ReadAsync(buffer) > 0)
            {
            }

            return Results.Ok();
        });
        await app.StartAsync();
        return (app, new Uri(app.Urls.First()));
    }
}
