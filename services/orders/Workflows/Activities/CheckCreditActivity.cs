using Dapr.Workflow;
using Storebridge.Contracts;
using Storebridge.Contracts.Catalog.V1;
using Storebridge.Contracts.Orders.V1;

namespace Storebridge.Orders.Workflows.Activities;

/// <summary>
/// Asks the catalog service whether a B2B customer's credit covers the order. An unreachable catalog throws, so the
/// workflow's retry policy waits for it: a missing dependency delays B2B orders, it never waves them through.
/// </summary>
public sealed class CheckCreditActivity(CatalogService.CatalogServiceClient catalog) : WorkflowActivity<CreditCheckInput, CreditCheckResult>
{
    public override async Task<CreditCheckResult> RunAsync(WorkflowActivityContext context, CreditCheckInput input)
    {
        var order = EventJson.Parse<Order>(input.OrderJson);
        var answer = await catalog.CheckCreditAsync(new CheckCreditRequest
        {
            ErpCustomerId = input.ErpCustomerId,
            Amount = order.Totals.Total,
            OrderRef = order.OrderRef,
        });
        return new CreditCheckResult(answer.Approved, answer.Approved ? null : answer.Reason);
    }
}
