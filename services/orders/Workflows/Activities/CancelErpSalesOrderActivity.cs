using Dapr.Workflow;
using Storebridge.Erp;

namespace Storebridge.Orders.Workflows.Activities;

/// <summary>Compensation: cancels the ERP sales order (deletes a draft); cancelling a cancelled order is a no-op.</summary>
public sealed class CancelErpSalesOrderActivity(IErpSystem erp) : WorkflowActivity<CancelErpOrderInput, string>
{
    public override async Task<string> RunAsync(WorkflowActivityContext context, CancelErpOrderInput input) =>
        (await erp.CancelSalesOrderAsync(input.SalesOrderId)).ToString();
}
