using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Storebridge.Sandbox.Erp.Faults;
using Storebridge.Sandbox.Erp.Frappe;

namespace Storebridge.Sandbox.Erp.Endpoints;

/// <summary>
/// The pipeline in front of the Frappe API, outermost first: error shaping (nothing throws past the endpoint),
/// fault injection (the "proxy"), then Frappe's token authentication.
/// </summary>
internal static class Middleware
{
    public static void UseFrappePipeline(this IApplicationBuilder app, ErpState state)
    {
        app.Use(async (http, next) =>
        {
            var route = $"{http.Request.Method} {Uri.UnescapeDataString(http.Request.Path.Value ?? "/")}";
            try
            {
                await next(http);
            }
            catch (FrappeException error) when (!http.Response.HasStarted)
            {
                await FrappeResults.Error(error).ExecuteAsync(http);
            }
            catch (BadHttpRequestException error) when (!http.Response.HasStarted)
            {
                await FrappeResults.Error(new FrappeException(error.StatusCode, "ValidationError", error.Message)).ExecuteAsync(http);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                // The client went away; nothing to answer.
            }
            catch (Exception error) when (!http.Response.HasStarted)
            {
                state.Log.Unhandled(error, route);
                await FrappeResults.Error(new FrappeException(500, "InternalServerError", "Internal Server Error")).ExecuteAsync(http);
            }
            finally
            {
                state.Stats.Count(route, http.Response.StatusCode);
            }
        });

        app.Use(async (http, next) =>
        {
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = state.Options.MaxRequestBodyBytes;
            }

            if (!http.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
            {
                await next(http);
                return;
            }

            var path = Uri.UnescapeDataString(http.Request.Path.Value ?? "/");
            var decision = await state.Faults.BeforeAsync(http.Request.Method, path, http.RequestAborted);
            if (decision.Status == 0)
            {
                await AuthenticatedAsync(http, next, state);
                return;
            }

            if (decision.AfterCommit)
            {
                // The write happens; the client never hears about it.
                var original = http.Response.Body;
                http.Response.Body = Stream.Null;
                try
                {
                    await AuthenticatedAsync(http, next, state);
                }
                catch (FrappeException)
                {
                    // Whatever the write answered is lost with the response.
                }
                finally
                {
                    http.Response.Body = original;
                }

                http.Response.Clear();
            }

            await WriteFaultAsync(http, decision);
        });
    }

    private static async Task AuthenticatedAsync(HttpContext http, RequestDelegate next, ErpState state)
    {
        var options = state.Options;
        var header = http.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            // Frappe treats an unauthenticated request as Guest, who may read nothing.
            throw FrappeException.Permission("Not permitted: login or an API token is required");
        }

        var credentials = header.StartsWith("token ", StringComparison.OrdinalIgnoreCase)
            ? header["token ".Length..].Trim()
            : header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) ? DecodeBasic(header["Basic ".Length..].Trim()) : null;
        var parts = credentials?.Split(':', 2);
        if (parts is not [var key, var secret])
        {
            throw FrappeException.Authentication("Invalid Authorization header: expected 'token api_key:api_secret'");
        }

        string user;
        if (Same(key, options.ApiKey) && Same(secret, options.ApiSecret))
        {
            user = "storebridge@sandbox.local";
        }
        else if (Same(key, options.ReadOnlyApiKey) && Same(secret, options.ReadOnlyApiSecret))
        {
            user = "readonly@sandbox.local";
            if (!HttpMethods.IsGet(http.Request.Method) && !http.Request.Path.Value!.EndsWith("get_logged_user", StringComparison.Ordinal))
            {
                throw FrappeException.Permission("Insufficient Permission for this document: the user has read access only");
            }
        }
        else
        {
            throw FrappeException.Authentication("Invalid API key or secret");
        }

        http.Items[ErpState.UserKey] = user;
        await next(http);
    }

    private static bool Same(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static string? DecodeBasic(string value)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(value));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static async Task WriteFaultAsync(HttpContext http, FaultDecision decision)
    {
        switch (decision.Status)
        {
            case 429:
                http.Response.StatusCode = 429;
                http.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await FrappeResults.Json(new FrappeException(429, "RateLimitExceededError", "You hit the rate limit because of too many requests. Please try after sometime.").ToBody(), 429).ExecuteAsync(http);
                break;
            case 502 or 503 or 504:
                // What nginx in front of a stopped bench answers: HTML, not JSON.
                http.Response.StatusCode = decision.Status;
                http.Response.ContentType = "text/html";
                await http.Response.WriteAsync($"<html><head><title>{decision.Status}</title></head><body><center><h1>{decision.Status} Service Unavailable</h1></center><hr><center>nginx</center></body></html>");
                break;
            default:
                await FrappeResults.Json(FaultInjector.ServerErrorBody(), decision.Status).ExecuteAsync(http);
                break;
        }
    }
}
