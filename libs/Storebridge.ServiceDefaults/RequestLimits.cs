using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Storebridge.ServiceDefaults;

/// <summary>
/// Rejects bodies over <see cref="ServiceDefaultsOptions.MaxRequestBodyBytes"/> with 413 before they are read.
/// Declared lengths are refused up front; chunked bodies are cut off by the server's body-size feature.
/// </summary>
internal sealed class RequestLimitsMiddleware(RequestDelegate next, IOptionsMonitor<ServiceDefaultsOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // An endpoint that reads its body in bounded steps itself (webhook intake) may set its own limit or none.
        var endpointLimit = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>();
        var limit = endpointLimit is null ? options.CurrentValue.MaxRequestBodyBytes : endpointLimit.MaxRequestBodySize ?? long.MaxValue;
        if (context.Request.ContentLength > limit)
        {
            await TooLarge(context, limit);
            return;
        }

        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = limit == long.MaxValue ? null : limit;
        }

        await next(context);
    }

    internal static Task TooLarge(HttpContext context, long limit)
    {
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        return context.Response.WriteAsJsonAsync(new ProblemDetails
        {
            Status = StatusCodes.Status413PayloadTooLarge,
            Title = "Request body too large",
            Detail = $"The request body exceeds the limit of {limit} bytes.",
        }, options: null, contentType: "application/problem+json");
    }
}

/// <summary>Turns the server's "bad request" exceptions (body too large, malformed) into problem details with their own status.</summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = bad.StatusCode, Title = "Bad request", Detail = bad.Message },
        });
    }
}

/// <summary>Request body limits per endpoint.</summary>
public static class RequestLimitsExtensions
{
    internal static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) => app.UseMiddleware<RequestLimitsMiddleware>();

    /// <summary>
    /// Lifts the service-wide body limit for an endpoint that bounds its own reads, so that it can record an oversized
    /// request instead of the pipeline refusing it unseen.
    /// </summary>
    public static TBuilder WithOwnBodyLimit<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new OwnBodyLimit());

    private sealed class OwnBodyLimit : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => null;
    }
}
